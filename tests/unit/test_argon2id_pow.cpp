// placeholder: argon2id_pow tests are being written.
#include <doctest.h>
