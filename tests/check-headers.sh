#!/usr/bin/env bash
# Every public header compiles alone as C99 (pedantic) and as C++.
set -u
CC=${CC:-cc}
CXX=${CXX:-g++}
pass=0 fail=0
for h in include/qat/*.h; do
	n=qat/$(basename "$h")
	if printf '#include <%s>\nint qat_header_test_dummy;\n' "$n" |
	   $CC -std=c99 -pedantic -Wall -Wextra -Werror -Iinclude \
	       -fsyntax-only -x c - &&
	   printf '#include <%s>\nint qat_header_test_dummy;\n' "$n" |
	   $CXX -std=c++11 -pedantic -Wall -Wextra -Werror -Iinclude \
	       -fsyntax-only -x c++ -; then
		pass=$((pass + 1))
	else
		echo "FAIL: $n does not compile alone (C99 or C++)"
		fail=$((fail + 1))
	fi
done
echo "headers: $pass passed, $fail failed"
[ "$fail" = 0 ]
