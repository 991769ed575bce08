#!/usr/bin/env bash
# test.sh - build bpfvm from scratch and run the whole test suite twice: a gcc build with
# warnings as errors, then a clang build under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)

echo "=== gcc -Werror build and tests ==="
rm -rf build-test
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc -DBPFVM_WERROR=ON >/dev/null
cmake --build build-test -j "$jobs"
status=0
(cd build-test && ctest --output-on-failure -j "$jobs" --timeout 900) || status=1

echo "=== clang ASan+UBSan build and tests ==="
rm -rf build-asan
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DBPFVM_WERROR=ON -DBPFVM_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   BPFVM_TEST_SANITIZED=1 ctest --output-on-failure -j "$jobs" --timeout 1800) || status=1

if [ $status = 0 ]; then echo "test.sh: both suites passed"; else echo "test.sh: FAILED (see above)"; fi
exit $status
