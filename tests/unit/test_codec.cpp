// placeholder: codec tests are being written.
#include <doctest.h>
