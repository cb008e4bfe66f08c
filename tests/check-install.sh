#!/usr/bin/env bash
# make install into a scratch root, then build a program against it with
# pkg-config, shared and static, and run both.
set -u
O=${O:-build}
MAKE=${MAKE:-make}
if [ "$O" != build ]; then
	echo "install: skipped in the $O build (checked by the plain build)"
	exit 0
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

$MAKE --no-print-directory -s install DESTDIR="$root" PREFIX=/usr >/dev/null ||
	{ echo "FAIL: make install"; exit 1; }
for f in usr/lib/libqatrt.a usr/lib/libqatrt.so.1.0.0 usr/lib/libqatrt.so.1 \
	 usr/lib/libqatrt.so usr/lib/pkgconfig/libqatrt.pc \
	 usr/include/qat/qatrt.h usr/share/man/man3/qat_rt_open.3 \
	 usr/bin/qatrt usr/share/man/man1/qatrt.1; do
	[ -e "$root/$f" ] || bad "not installed: /$f"
done
[ "$(readlink "$root/usr/lib/libqatrt.so")" = libqatrt.so.1 ] || bad "libqatrt.so link"
doc=usr/share/doc/libqatrt/examples
for f in samples/worker.c samples/worker_epoll.c samples/conf/*.conf; do
	[ -f "$root/$doc/${f#samples/}" ] || bad "not installed: /$doc/${f#samples/}"
done

export PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$root/usr/lib/pkgconfig:/usr/lib/x86_64-linux-gnu/pkgconfig:/usr/share/pkgconfig
cflags=$(pkg-config --cflags libqatrt) || bad "pkg-config --cflags"
libs=$(pkg-config --libs libqatrt) || bad "pkg-config --libs"
slibs=$(pkg-config --static --libs libqatrt) || bad "pkg-config --static --libs"
${CC:-cc} -o "$root/smoke" tests/install/smoke.c $cflags $libs || bad "link against the shared library"
LD_LIBRARY_PATH=$root/usr/lib "$root/smoke" samples/conf >/dev/null || bad "shared smoke run"
ldd "$root/smoke" 2>/dev/null | grep -q "$root/usr/lib/libqatrt.so.1" ||
	LD_LIBRARY_PATH=$root/usr/lib ldd "$root/smoke" | grep -q "$root/usr/lib/libqatrt.so.1" ||
	bad "smoke does not load the installed libqatrt.so.1"
${CC:-cc} -static-libgcc -o "$root/smoke-static" tests/install/smoke.c $cflags \
	-Wl,-Bstatic -lqatrt -Wl,-Bdynamic ${slibs/-lqatrt/} || bad "link against the static library"
"$root/smoke-static" samples/conf >/dev/null || bad "static smoke run"
# The installed examples build as a user would build them.
for f in "$root/$doc"/*.c; do
	${CC:-cc} -Wall -Werror -o "$root/$(basename "$f" .c)" "$f" $cflags $libs ||
		bad "installed example $(basename "$f") does not build"
done
# The hello sample, as its comment says to build it, and the installed tool.
reg=$root/registry
${CC:-cc} -o "$root/hello" samples/hello.c $cflags $libs || bad "build samples/hello.c against the installed tree"
out=$(LD_LIBRARY_PATH=$root/usr/lib QATRT_CONFIG=samples/conf QATRT_REGISTRY=$reg "$root/hello") ||
	bad "installed hello run"
case "$out" in *"claimed SSL_INT_0"*"interrupt: callback ran 1 time"*) ;;
	*) bad "hello printed: $out" ;; esac
LD_LIBRARY_PATH=$root/usr/lib ldd "$root/usr/bin/qatrt" | grep -q "$root/usr/lib/libqatrt.so.1" ||
	bad "installed qatrt does not load the installed libqatrt.so.1"
n=$(LD_LIBRARY_PATH=$root/usr/lib "$root/usr/bin/qatrt" --config samples/conf --registry "$reg" devices | grep -c ' sim ')
[ "$n" = 2 ] || bad "installed qatrt devices lists $n simulated devices, not 2"
rm -f "$reg".*
$MAKE --no-print-directory -s uninstall DESTDIR="$root" PREFIX=/usr >/dev/null
left=$(find "$root/usr" -type f 2>/dev/null | wc -l)
[ "$left" = 0 ] || bad "uninstall left $left files"
[ ! -e "$root/usr/share/doc/libqatrt" ] || bad "uninstall left /usr/share/doc/libqatrt"
echo "install: $((fail == 0 ? 1 : 0)) passed, $fail failed"
[ "$fail" = 0 ]
