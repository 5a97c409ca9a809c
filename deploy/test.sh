#!/usr/bin/env bash
# test.sh — the whole test suite, from a fresh Debian 12 machine (as root):
#   1. installs the build dependencies (deploy/install-deps.sh, idempotent);
#   2. builds and runs every test in a normal build        (build/);
#   3. builds and runs every test under ASan + UBSan, asserts on (build-asan/);
#   4. builds the libFuzzer targets with clang and runs each for a bounded
#      time                                                 (build-fuzz/).
# Environment: CCHC_TEST_JOBS (parallel ctest jobs, default 2),
#              CCHC_FUZZ_SECONDS (per fuzz target, default 30; 0 skips fuzzing),
#              CCHC_FUZZ_SEED (libFuzzer -seed, default 1: a CI run replays a
#                known sequence, so it fails on a change, not on luck; long
#                exploratory runs use other seeds and their finds join the
#                corpus under fuzz/*/corpus_*),
#              CCHC_SKIP_ASAN=1 (skip step 3, for quick local runs).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

bash deploy/install-deps.sh

jobs=${CCHC_TEST_JOBS:-2}
fuzz_seconds=${CCHC_FUZZ_SECONDS:-30}
fuzz_seed=${CCHC_FUZZ_SEED:-1}
failed=0
summary=()

run_suite () {         # run_suite NAME BUILD_DIR [cmake options...]
  local name=$1 dir=$2; shift 2
  echo "=== [$name] configure + build ($dir)"
  cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >"$dir/configure.log" 2>&1 \
    || { cat "$dir/configure.log"; return 1; }
  if ! cmake --build "$dir" -j"$(nproc)" >"$dir/build.log" 2>&1; then
    grep -vE '^\[ *[0-9]+%\]' "$dir/build.log" | tail -n 60
    echo "=== [$name] build FAILED (full log: $dir/build.log)"
    return 1
  fi
  echo "=== [$name] ctest"
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" --timeout 600
}

mkdir -p build build-asan build-fuzz
if run_suite normal build; then summary+=("normal: passed"); else summary+=("normal: FAILED"); failed=1; fi

if [ "${CCHC_SKIP_ASAN:-0}" != 1 ]; then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  export LSAN_OPTIONS=suppressions=$top/deploy/lsan.supp:print_suppressions=0
  if run_suite asan build-asan -DCCHC_SANITIZE=ON -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g"; then summary+=("asan+ubsan: passed")
  else summary+=("asan+ubsan: FAILED"); failed=1; fi
  unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
fi

if [ "$fuzz_seconds" -gt 0 ]; then
  echo "=== [fuzz] build with clang ($fuzz_seconds s per target, seed $fuzz_seed)"
  fuzz_ok=1
  if CC=clang cmake -S "$top" -B build-fuzz -DCCHC_FUZZ=ON -DCCHC_SANITIZE=ON \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >build-fuzz/configure.log 2>&1 \
     && cmake --build build-fuzz -j"$(nproc)" >build-fuzz/build.log 2>&1; then
    targets=$(find build-fuzz/fuzz -type f -executable -name 'fuzz_*' | sort)
    [ -n "$targets" ] || { echo "no fuzz targets were built"; fuzz_ok=0; }
    for t in $targets; do
      name=$(basename "$t")
      work=$(mktemp -d)
      src=$(find fuzz -type d -name "corpus_${name#fuzz_}" | head -n1)
      [ -n "$src" ] && cp -r "$src"/. "$work"/
      echo "--- $name"
      if ASAN_OPTIONS=detect_leaks=1 "$t" -seed="$fuzz_seed" -max_total_time="$fuzz_seconds" -timeout=10 \
            -rss_limit_mb=2048 -print_final_stats=0 "$work" >"$work.log" 2>&1; then
        grep -E '^Done|#[0-9]+.*DONE' "$work.log" | tail -n1 || true
      else
        tail -n 40 "$work.log"; fuzz_ok=0
      fi
      rm -rf "$work" "$work.log"
    done
  else
    cat build-fuzz/configure.log; tail -n 40 build-fuzz/build.log || true; fuzz_ok=0
  fi
  if [ $fuzz_ok = 1 ]; then summary+=("fuzz: passed"); else summary+=("fuzz: FAILED"); failed=1; fi
fi

echo "=== summary"
printf '  %s\n' "${summary[@]}"
passed_n=$(printf '%s\n' "${summary[@]}" | grep -c ': passed' || true)
failed_n=$(printf '%s\n' "${summary[@]}" | grep -c ': FAILED' || true)
echo "suites: $passed_n passed, $failed_n failed"
exit $failed
