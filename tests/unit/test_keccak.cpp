// placeholder: keccak tests are being written.
#include <doctest.h>
