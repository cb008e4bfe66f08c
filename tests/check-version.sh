#!/usr/bin/env bash
# The version in include/qat/version.h is the Makefile's VERSION, which
# also names the shared library file and the .pc.
set -u
fail=0
mk=$(sed -n 's/^VERSION *:= *//p' Makefile)
h=include/qat/version.h
hv=$(for p in MAJOR MINOR PATCH; do
	sed -n "s/^#define QATRT_VERSION_$p \([0-9]*\)$/\1/p" "$h"; done | paste -sd.)
if [ -z "$mk" ] || [ "$mk" != "$hv" ]; then
	echo "FAIL: Makefile VERSION '$mk' but $h says '$hv'"
	fail=1
fi
echo "version: $((1 - fail)) passed, $fail failed"
[ "$fail" = 0 ]
