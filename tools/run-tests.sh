#!/bin/sh
# Runs the C test suite, then the Python suite; the closing line is the total
# "N passed, N failed" that CI reads.
BUILD=${1:-build}
PYTHON=${2:-/usr/bin/python3}
ASAN_BUILD=${3:-}
cpass=0; cfail=0; ppass=0; pfail=0; pskip=0
out=$("$BUILD/ctorch_tests" 2>&1); crc=$?
echo "$out" | grep -v '^C tests:' 
line=$(echo "$out" | grep '^C tests:' | tail -1)
echo "$line"
cpass=$(echo "$line" | sed -n 's/.* \([0-9][0-9]*\) passed.*/\1/p'); cpass=${cpass:-0}
cfail=$(echo "$line" | sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p'); cfail=${cfail:-1}
[ $crc -ne 0 ] && [ "$cfail" = 0 ] && cfail=1
# The same C suite built with ASan+UBSan (leak detection on).
if [ -n "$ASAN_BUILD" ] && [ -x "$ASAN_BUILD/ctorch_tests" ]; then
  aout=$(ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$ASAN_BUILD/ctorch_tests" 2>&1); arc=$?
  echo "$aout" | grep -E '^FAIL|ERROR|runtime error' | head -n 40
  aline=$(echo "$aout" | grep '^C tests:' | tail -1)
  echo "ASan+UBSan $aline"
  apass=$(echo "$aline" | sed -n 's/.* \([0-9][0-9]*\) passed.*/\1/p'); apass=${apass:-0}
  afail=$(echo "$aline" | sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p'); afail=${afail:-1}
  [ $arc -ne 0 ] && [ "$afail" = 0 ] && afail=1
  cpass=$((cpass + apass)); cfail=$((cfail + afail))
fi
# C examples under valgrind: no error, no definite or indirect leak.
vpass=0; vfail=0
if command -v valgrind >/dev/null 2>&1; then
  for ex in "$BUILD"/examples/*; do
    [ -x "$ex" ] || continue
    if valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
         --error-exitcode=9 "$ex" > "$BUILD/valgrind-$(basename "$ex").log" 2>&1; then
      vpass=$((vpass + 1))
    else
      echo "FAIL valgrind $(basename "$ex") (see $BUILD/valgrind-$(basename "$ex").log)"
      tail -n 20 "$BUILD/valgrind-$(basename "$ex").log"
      vfail=$((vfail + 1))
    fi
  done
  echo "valgrind examples: $vpass passed, $vfail failed"
fi
cpass=$((cpass + vpass)); cfail=$((cfail + vfail))
if [ -d tests/python ] && ls tests/python/test_*.py >/dev/null 2>&1; then
  PYTHONPATH=python "$PYTHON" -m pytest -q -p no:cacheprovider tests/python > "$BUILD/pytest.log" 2>&1; prc=$?
  tail -n 30 "$BUILD/pytest.log"
  pline=$(tail -n 1 "$BUILD/pytest.log")
  ppass=$(echo "$pline" | sed -n 's/.*\b\([0-9][0-9]*\) passed.*/\1/p'); ppass=${ppass:-0}
  pfail=$(echo "$pline" | sed -n 's/.*\b\([0-9][0-9]*\) failed.*/\1/p'); pfail=${pfail:-0}
  perr=$(echo "$pline" | sed -n 's/.*\b\([0-9][0-9]*\) error.*/\1/p'); pfail=$((pfail + ${perr:-0}))
  pskip=$(echo "$pline" | sed -n 's/.*\b\([0-9][0-9]*\) skipped.*/\1/p'); pskip=${pskip:-0}
  [ $prc -ne 0 ] && [ $prc -ne 5 ] && [ "$pfail" = 0 ] && pfail=1
fi
total_pass=$((cpass + ppass)); total_fail=$((cfail + pfail))
echo "$total_pass passed, $total_fail failed, $pskip skipped"
[ "$total_fail" -eq 0 ]
