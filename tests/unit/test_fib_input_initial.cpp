// placeholder: fib_input_initial tests are being written.
#include <doctest.h>
