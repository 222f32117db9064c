// placeholder: node_key tests are being written.
#include <doctest.h>
