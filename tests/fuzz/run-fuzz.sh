#!/usr/bin/env bash
# Builds the reply-decoder fuzzer in a clang build dir of its own and runs it
# for a bounded time. Usage: run-fuzz.sh DIR SECONDS
#   DIR: the source root (the fuzz build goes to DIR/build-fuzz) or a build dir
#        of the main project (the fuzz build goes next to it, ../build-fuzz);
#        PROVENODE_FUZZ_BUILD overrides where it goes.
# The fuzz build is configured once, as:
#   CC=clang CXX=clang++ meson setup build-fuzz -Dfuzz=true \
#       -Db_sanitize=address,undefined -Db_lundef=false
# Exit: 0 clean run, 1 crash, sanitizer report, leak, timeout or build failure,
# 77 (skip) when clang or libFuzzer is missing.
set -euo pipefail

if [ $# -ne 2 ] || ! [[ $2 =~ ^[0-9]+$ ]]; then
  echo "usage: run-fuzz.sh DIR SECONDS" >&2
  exit 2
fi
seconds=$2
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
if [ -d "$1/meson-private" ]; then
  fuzz_dir=$(cd "$1/.." && pwd)/build-fuzz
else
  fuzz_dir=$(cd "$1" && pwd)/build-fuzz
fi
fuzz_dir=${PROVENODE_FUZZ_BUILD:-$fuzz_dir}

skip() {
  echo "run-fuzz: SKIP: $*"
  exit 77
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- can this machine build a libFuzzer target at all? -------------------------
for tool in clang clang++ meson ninja; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/setup installs it)"
done
printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' >"$work/probe.cpp"
if ! clang++ -fsanitize=fuzzer,address,undefined "$work/probe.cpp" -o "$work/probe" 2>"$work/probe.log"; then
  sed -n 1,5p "$work/probe.log"
  skip "clang cannot link -fsanitize=fuzzer: libFuzzer is missing (Debian: libclang-rt-14-dev)"
fi

# --- configure once, build the two targets -------------------------------------
# Runs from several build dirs may share this fuzz build: one configures and
# builds at a time.
mkdir -p "$(dirname "$fuzz_dir")"
exec 9<"$0"
flock 9
start=$SECONDS
if [ ! -f "$fuzz_dir/build.ninja" ]; then
  echo "run-fuzz: configuring $fuzz_dir"
  if ! CC=clang CXX=clang++ meson setup "$fuzz_dir" "$source_dir" -Dfuzz=true \
      -Db_sanitize=address,undefined -Db_lundef=false >"$work/setup.log" 2>&1; then
    tail -n 30 "$work/setup.log"
    echo "run-fuzz: FAIL: meson setup of $fuzz_dir failed"
    exit 1
  fi
fi
if ! grep -q 'fuzz_replies' "$fuzz_dir/build.ninja"; then
  echo "run-fuzz: FAIL: $fuzz_dir is not a fuzz build (-Dfuzz=true with clang); remove it to start over"
  exit 1
fi
configured=$SECONDS
if ! ninja -C "$fuzz_dir" -j2 tests/fuzz/fuzz_replies tests/fuzz/make_seeds >"$work/build.log" 2>&1; then
  grep -E 'error|FAILED' "$work/build.log" | head -n 30
  echo "run-fuzz: FAIL: building the fuzzer failed"
  exit 1
fi
built=$SECONDS
flock -u 9
echo "run-fuzz: configure $((configured - start)) s, build $((built - configured)) s"

# --- seed corpus: the committed text seeds and an encoding of every message -----
corpus=$work/corpus
mkdir -p "$corpus"
cp "$source_dir"/tests/fuzz/corpus/* "$corpus"/
"$fuzz_dir/tests/fuzz/make_seeds" "$corpus"

# --- run ------------------------------------------------------------------------
# libFuzzer's own error exit code is 77, which meson reads as a skip: every
# failure is mapped to 1. UBSan only reports unless told to halt.
artifacts=$fuzz_dir/tests/fuzz/artifacts
mkdir -p "$artifacts"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
log=$work/fuzz.log
rc=0
(cd "$work" && timeout --kill-after=10 $((seconds + 120)) "$fuzz_dir/tests/fuzz/fuzz_replies" \
    -max_total_time="$seconds" -max_len=70000 -rss_limit_mb=2048 -timeout=10 \
    -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$corpus") >"$log" 2>&1 || rc=$?
fuzzed=$SECONDS

grep -E '^#[0-9]+' "$log" | tail -n 3 || true
grep -E '^Done [0-9]+ runs|^stat::' "$log" || true
echo "run-fuzz: fuzzing $((fuzzed - built)) s, exit code $rc"

report='ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|runtime error:|invariant broken|deadly signal|out-of-memory|timeout after'
if [ "$rc" -ne 0 ] || grep -qE "$report" "$log"; then
  first=$(grep -nE "$report" "$log" | head -n 1 | cut -d: -f1)
  sed -n "${first:-1},\$p" "$log" | grep -vE '^#[0-9]+ +(NEW|REDUCE|pulse)' | head -n 60
  echo "run-fuzz: FAIL: the fuzzer found a crash, a sanitizer report or a leak; reproducer in $artifacts/"
  echo "run-fuzz: replay: $fuzz_dir/tests/fuzz/fuzz_replies $artifacts/<crash-file>"
  exit 1
fi
echo "run-fuzz: PASS"
