#!/usr/bin/env bash
# tests/README.md's promise map and tests/mutants/mutants.txt agree: every
# mutant named in brackets in the map is listed, every listed mutant is
# named in the map (so what it proves shows), and every suite:test the
# map names exists.
set -u
fail=0 pass=0
map=tests/README.md list=tests/mutants/mutants.txt
listed=$(sed -n 's/^id: //p' "$list" | sort -u)
named=$(grep -o '\[[a-z0-9, -]*\]' "$map" | tr -d '[]' | tr ',' '\n' |
	sed 's/^ *//; s/ *$//' | grep -v '^$' | sort -u)
for id in $(comm -23 <(echo "$named") <(echo "$listed")); do
	echo "FAIL: $map names mutant $id, which $list does not list"
	fail=$((fail + 1))
done
for id in $(comm -13 <(echo "$named") <(echo "$listed")); do
	echo "FAIL: mutant $id is not named in $map"
	fail=$((fail + 1))
done
# "suite: a, b; suite2: c" in the test column: each test a START_TEST
# in tests/check_<suite>.c.
while IFS= read -r cell; do
	for part in $(echo "$cell" | sed 's/\[[^]]*\]//g; s/([^)]*)//g' |
		      tr ';' '\n' | sed -n 's/^ *\([a-z]*\): *\(.*\)$/\1:\2/p' |
		      tr -d ' '); do
		suite=${part%%:*} tests=${part#*:}
		f=tests/check_$suite.c
		[ -f "$f" ] || continue # check-vm, tests/pkg, ...
		for t in $(echo "$tests" | tr ',' ' '); do
			case $t in *[!a-z0-9_]*|"") continue ;; esac
			if grep -q "^START_TEST($t)" "$f"; then
				pass=$((pass + 1))
			else
				echo "FAIL: $map names $suite: $t, not a test of $f"
				fail=$((fail + 1))
			fi
		done
	done
done < <(grep '^| ' "$map" | sed 's/ *|$//' | awk -F' \\| ' '{ print $NF }')
echo "promise-map: $pass tests found, $fail failed"
[ "$fail" = 0 ]
