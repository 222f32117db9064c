#!/bin/bash
# Process test of `worker prove` and `worker verify`: round trip, tampering, bad flags.
set -u
worker=${1:?usage: test_worker_cli.sh WORKER_EXE}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect CODE NAME COMMAND...: runs COMMAND, keeps stdout/stderr in $out/$err, checks the exit code.
expect() {
    local want=$1 name=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    out=$(cat "$tmp/out"); err=$(cat "$tmp/err")
    [ "$got" = "$want" ] || fail "$name: exit $got, expected $want (stderr: $err)"
}

contains() {  # contains NAME TEXT PART
    case "$2" in *"$3"*) ;; *) fail "$1: '$3' not in: $2" ;; esac
}

# The spec's vector: seed 0x00..0x1f, target 8, opslimit 1, memlimit_kib 8 -> nonce 109.
input=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f''08''01000000''08000000

expect 0 "prove" "$worker" prove --program argon2id_pow --input "$input" --threads 2
proof=$(printf '%s\n' "$out" | sed -n 1p)
[ "$proof" = "6d00000000000000" ] || fail "prove: proof '$proof', expected nonce 109 (6d00000000000000)"
printf '%s\n' "$out" | sed -n 2p | grep -Eq '^time_ms=[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?$' ||
    fail "prove: second line is not time_ms=<float>: $out"

printf "$(printf '%s' "$proof" | sed 's/../\\x&/g')" >"$tmp/proof.bin"
expect 0 "verify --proof" "$worker" verify --program argon2id_pow --input "$input" --proof "$tmp/proof.bin"
contains "verify --proof" "$out" "nonce 109, H=00853bdeffe89fcc47d93c42a28d6af947fa617a07a5b2a6fb5cd8a84d1d7963, 8 leading zero bits"
expect 0 "verify --proof-hex" "$worker" verify --program argon2id_pow --input "$input" --proof-hex "$proof"
contains "verify --proof-hex" "$out" "nonce 109"

# Tampered: nonce 108 does not meet the target; a 7-byte proof is the wrong size.
printf '\x6c\x00\x00\x00\x00\x00\x00\x00' >"$tmp/tampered.bin"
expect 1 "tampered proof" "$worker" verify --program argon2id_pow --input "$input" --proof "$tmp/tampered.bin"
contains "tampered proof" "$err" "leading zero bits, target 8"
expect 1 "short proof" "$worker" verify --program argon2id_pow --input "$input" --proof-hex 6d000000000000
contains "short proof" "$err" "proof must be 8 bytes"
expect 1 "malformed input" "$worker" prove --program argon2id_pow --input 0011
contains "malformed input" "$err" "41 bytes"

# Bad flags: exit 2 and one line naming the flag.
expect 2 "unknown flag" "$worker" prove --program argon2id_pow --input "$input" --bogus
contains "unknown flag" "$err" "--bogus"
expect 2 "bad threads" "$worker" prove --program argon2id_pow --input "$input" --threads zero
contains "bad threads" "$err" "--threads"
expect 2 "bad hex" "$worker" prove --program argon2id_pow --input xyz1
contains "bad hex" "$err" "--input"
expect 2 "unknown program" "$worker" prove --program nope --input 00
contains "unknown program" "$err" "--program"
expect 2 "missing proof" "$worker" verify --program argon2id_pow --input "$input"
contains "missing proof" "$err" "--proof"
expect 2 "test program refused" "$worker" prove --program test_noop --input 00
contains "test program refused" "$err" "--allow-test-programs"
[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "bad flag: more than one line on stderr: $err"
case "$err" in *terminate*|*what\(\)*) fail "bad flag: exception trace: $err" ;; esac

# Test programs round-trip when allowed.
expect 0 "test_noop" "$worker" prove --program test_noop --input 00 --allow-test-programs
noop=$(printf '%s\n' "$out" | sed -n 1p)
expect 0 "test_noop verify" "$worker" verify --program test_noop --input 00 --proof-hex "$noop"

if [ "$failures" -gt 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "all worker CLI checks passed"
