#!/usr/bin/env bash
# The shared library exports only qat_* names, all in the QATRT_1.0 node,
# has the right soname, and every exported function has a man page that
# mandoc lints clean.
set -u
O=${O:-build}
so=$O/libqatrt.so.1.0.0
fail=0
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

[ -f "$so" ] || { echo "FAIL: $so missing"; exit 1; }
readelf -d "$so" | grep -q 'SONAME.*\[libqatrt.so.1\]' || bad "soname is not libqatrt.so.1"
syms=$(nm -D --defined-only "$so" | awk '$2 != "A" {print $3}')
n=0
for s in $syms; do
	n=$((n + 1))
	case "$s" in
	qat_*@@QATRT_1.0) ;;
	*) bad "exported symbol outside qat_*/QATRT_1.0: $s" ;;
	esac
done
[ "$n" -gt 0 ] || bad "no symbols exported"

funcs=$(nm -D --defined-only "$so" | awk '$2 == "T" {sub(/@.*/, "", $3); print $3}')
for f in $funcs; do
	[ -f "man3/$f.3" ] || bad "exported function $f has no man3/$f.3"
	grep -qw -- "$f" man3/*.3 2>/dev/null || bad "$f is named in no man page"
done
if ! command -v mandoc >/dev/null; then
	bad "mandoc is not installed (make deps)"
else
	# Alias pages (".so man3/x.3" or a symlink) must point at a real
	# page; mandoc lints the real pages (it calls every .so fragile).
	pages=()
	for m in man3/*.3; do
		if [ -L "$m" ]; then
			[ -f "$m" ] || bad "$m: dangling link"
		elif head -n 1 "$m" | grep -q '^\.so '; then
			t=$(head -n 1 "$m" | awk '{print $2}')
			[ -f "$t" ] || bad "$m: .so target $t missing"
		else
			pages+=("$m")
		fi
	done
	out=$(mandoc -Tlint -W warning "${pages[@]}" 2>&1) || true
	[ -z "$out" ] || bad "mandoc -Tlint:"$'\n'"$out"
fi
echo "exports: $((n - fail > 0 ? n - fail : 0)) passed, $fail failed"
[ "$fail" = 0 ]
