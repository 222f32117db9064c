// placeholder: stark tests are being written.
#include <doctest.h>
