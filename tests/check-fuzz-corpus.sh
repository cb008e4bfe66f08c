#!/usr/bin/env bash
# The fuzz corpora as regression tests: every tests/fuzz/corpus_<name>/*
# file goes through fuzz_<name>'s entry point, built without libFuzzer
# by tests/fuzz/replay.mk (with ASan/UBSan under SANITIZE=1). A target
# that aborts, or a sanitizer report, fails the file.
set -u
O=${O:-build}
pass=0 fail=0
for src in tests/fuzz/fuzz_*.c; do
	n=$(basename "$src" .c)
	prog=$O/fuzz-replay/$n
	corpus=tests/fuzz/corpus_${n#fuzz_}
	if [ ! -x "$prog" ]; then
		echo "FAIL: $prog missing"; fail=$((fail + 1)); continue
	fi
	if [ ! -d "$corpus" ]; then
		echo "FAIL: $n has no $corpus"; fail=$((fail + 1)); continue
	fi
	for f in "$corpus"/*; do
		[ -f "$f" ] || continue
		if out=$("$prog" "$f" 2>&1); then
			pass=$((pass + 1))
		else
			echo "FAIL: $n $f"; echo "$out" | tail -n 20
			fail=$((fail + 1))
		fi
	done
done
[ "$pass" -gt 0 ] || { echo "FAIL: no corpus file replayed"; fail=$((fail + 1)); }
echo "fuzz corpus: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
