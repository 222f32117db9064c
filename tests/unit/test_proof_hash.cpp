// placeholder: proof_hash tests are being written.
#include <doctest.h>
