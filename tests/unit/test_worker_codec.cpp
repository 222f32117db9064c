// placeholder: worker_codec tests are being written.
#include <doctest.h>
