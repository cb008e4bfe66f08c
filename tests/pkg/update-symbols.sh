#!/usr/bin/env bash
# Rewrite debian/libqatrt1.symbols from the built shared library, every
# export at the version it first appeared in (kept from the old file;
# new ones get the Makefile's VERSION). Run after adding an export: the
# package build (dpkg-gensymbols -c4) fails until the file matches.
set -eu
O=${O:-build}
so=$O/libqatrt.so.1.0.0
file=debian/libqatrt1.symbols
ver=$(sed -n 's/^VERSION *:= *//p' Makefile)
[ -f "$so" ] || { echo "$so missing: run make first" >&2; exit 1; }
declare -A since
if [ -f "$file" ]; then
	while read -r sym v; do since[$sym]=$v; done < <(grep '^ ' "$file")
fi
{
	echo "libqatrt.so.1 libqatrt1 #MINVER#"
	echo "* Build-Depends-Package: libqatrt-dev"
	# dpkg's form: name@VERSION, and the version node as NODE@NODE.
	nm -D --defined-only "$so" | awk '$2 == "A" {print $3 "@" $3; next}
		{sub(/@@/, "@", $3); print $3}' | sort | while read -r s; do
		echo " $s ${since[$s]:-$ver}"
	done
} > "$file.new"
mv "$file.new" "$file"
echo "$file: $(grep -c '^ ' "$file") symbols"
