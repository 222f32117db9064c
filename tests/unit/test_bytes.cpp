// placeholder: bytes tests are being written.
#include <doctest.h>
