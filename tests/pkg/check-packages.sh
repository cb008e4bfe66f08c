#!/usr/bin/env bash
# The Debian packages, end to end, on a throwaway machine as root (CI):
# build them (the build runs the test suite and checks the symbols),
# lintian, install, build a program with pkg-config against them and run
# it, `qatrt devices`, two users of group qat sharing claims under
# /run/qatrt while a user outside the group is refused, then purge and
# check that nothing is left. Exit 77 (skip) when not root.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "packages: skipped: needs root on a throwaway machine (CI)"
	exit 77
fi
. "$top/tests/script-lib.sh"

work=$(mktemp -d)
chmod 755 "$work"
users=(qatrt-ci-a qatrt-ci-b qatrt-ci-out)
pkgs=(qatrt-tools libqatrt-dev libqatrt1)
holder=
cleanup() {
	[ -n "$holder" ] && kill -9 "$holder" 2>/dev/null
	wait 2>/dev/null
	for u in "${users[@]}"; do userdel "$u" 2>/dev/null; done
	dpkg --purge "${pkgs[@]}" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends build-essential debhelper \
	dpkg-dev fakeroot lintian adduser >/dev/null || { echo "FAIL: apt-get"; exit 1; }

# --- build from a clean copy of the tree -----------------------------------
src=$work/libqatrt
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	mkdir "$src" && git -C "$top" ls-files -z | (cd "$top" && xargs -0 cp --parents -t "$src")
else
	cp -a "$top" "$src" && rm -rf "$src"/build "$src"/build-san "$src"/build-tsan
fi
apt-get build-dep -y -qq "$src" >/dev/null || { echo "FAIL: apt-get build-dep"; exit 1; }
echo "packages: building (the build runs the test suite)"
# QATRT_PKG_NOCHECK=1 skips the suite inside the build (quicker reruns).
opts=${DEB_BUILD_OPTIONS:-}
[ "${QATRT_PKG_NOCHECK:-0}" = 1 ] && opts="$opts nocheck"
if ! (cd "$src" && DEB_BUILD_OPTIONS=$opts dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
	tail -n 40 "$work/build.log"
	echo "FAIL: dpkg-buildpackage"
	exit 1
fi
ok
case " $opts " in *" nocheck "*) echo "packages: note: the suite was not run in the build (nocheck)" ;;
*) check "the build ran the tests" grep -q 'Checks: [0-9]*, Failures: 0, Errors: 0' "$work/build.log" ;;
esac
check "the build checked the symbols (-c4)" grep -q 'dh_makeshlibs -- -c4' "$work/build.log"
debs=()
for p in "${pkgs[@]}"; do
	f=$(ls "$work"/${p}_*.deb 2>/dev/null | head -n 1)
	check "built $p" [ -n "$f" ]
	debs+=("$f")
done
lint=$(lintian --fail-on error,warning "$work"/*.changes 2>&1)
check "lintian: no error or warning: $lint" [ $? = 0 ]
check "lintian: nothing above info: $lint" [ -z "$(grep -E '^[EW]: ' <<<"$lint")" ]

# --- install ---------------------------------------------------------------
apt-get install -y -qq "${debs[@]}" >/dev/null 2>&1 || { echo "FAIL: installing the packages"; exit 1; }
has_group() { getent group "$1" >/dev/null; }
check "qat group made" has_group qat
check "/run/qatrt made" [ -d /run/qatrt ]
check "/run/qatrt is root:qat 2770" [ "$(stat -c '%U:%G %a' /run/qatrt)" = "root:qat 2770" ]
check "udev rule installed" [ -f /lib/udev/rules.d/60-qatrt-tools.rules ]
/usr/libexec/qatrt/vfio-group-qat 999999
check "udev helper: no such group is not QAT" [ $? = 1 ]
check "/etc/qatrt example" [ -f /etc/qatrt/4xxx_dev0.conf.example ]
check "qatrt in PATH" [ "$(command -v qatrt)" = /usr/bin/qatrt ]
check "man qatrt" [ -f /usr/share/man/man1/qatrt.1.gz ]
check "pkg-config finds libqatrt" pkg-config --exists libqatrt

# Use what the packages installed, even if some other copy (a make install
# into /usr/local) is on this machine; a clean CI machine has none.
multi=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
export PKG_CONFIG_LIBDIR=/usr/lib/$multi/pkgconfig:/usr/share/pkgconfig
export LD_LIBRARY_PATH=/usr/lib/$multi
other=$(ldconfig -p | awk '/libqatrt\.so\.1 / {print $NF}' | grep -v -e "^/usr/lib/$multi/" -e "^/lib/$multi/")
[ -z "$other" ] || echo "packages: note: another libqatrt is installed ($other); using the packaged one"

# The registry defaults to /run/qatrt now; configuration from a directory
# every test user can read.
conf=$work/conf
cp -r "$top/samples/conf" "$conf"
chmod -R a+rX "$conf"
cc -o "$work/hello" "$top/samples/hello.c" $(pkg-config --cflags --libs libqatrt)
check "hello builds with pkg-config against the packages" [ -x "$work/hello" ]
out=$(QATRT_CONFIG=$conf "$work/hello" 2>&1)
check "hello runs: $out" grep -q 'interrupt: callback ran 1 time' <<<"$out"
check "hello used /run/qatrt" [ -f /run/qatrt/registry.proc ]
check "registry files are group qat, 0660" [ "$(stat -c '%G %a' /run/qatrt/registry.proc)" = "qat 660" ]
out=$(qatrt --config "$conf" devices 2>&1)
check "qatrt devices: $out" [ "$(grep -c ' sim ' <<<"$out")" = 2 ]
out=$(qatrt devices 2>&1)
check "qatrt devices with no configuration: $out" grep -q '^ACCEL' <<<"$out"

# --- two users of group qat share claims; an outsider is refused ----------
rm -f /run/qatrt/registry.*
useradd -M -N -s /usr/sbin/nologin -G qat qatrt-ci-a
useradd -M -N -s /usr/sbin/nologin -G qat qatrt-ci-b
useradd -M -N -s /usr/sbin/nologin qatrt-ci-out
cc -o "$work/hold" "$top/tests/prog_hold.c" $(pkg-config --cflags --libs libqatrt)
chmod 755 "$work/hold"
mkfifo -m 666 "$work/hold.in"
runuser -u qatrt-ci-a -- env LD_LIBRARY_PATH="$LD_LIBRARY_PATH" QATRT_CONFIG="$conf" "$work/hold" SSL \
	<"$work/hold.in" >"$work/hold.out" 2>&1 &
holder=$!
exec {w}>"$work/hold.in"
check "user a claims a section" wait_for grep -q 'held SSL_INT_0' "$work/hold.out"
check "user a made the registry, group qat" [ "$(stat -c '%U %G %a' /run/qatrt/registry.proc)" = "qatrt-ci-a qat 660" ]
out=$(runuser -u qatrt-ci-b -- env LD_LIBRARY_PATH="$LD_LIBRARY_PATH" qatrt --config "$conf" claims 2>&1)
check "user b sees a's claim: $out" grep -Eq "^SSL_INT_0 +0 +[0-9]+ " <<<"$out"
out=$(runuser -u qatrt-ci-b -- env LD_LIBRARY_PATH="$LD_LIBRARY_PATH" QATRT_CONFIG="$conf" "$work/hold" SSL </dev/null 2>&1)
check "user b claims the next section: $out" grep -q 'held SSL_INT_1' <<<"$out"
out=$(runuser -u qatrt-ci-out -- env LD_LIBRARY_PATH="$LD_LIBRARY_PATH" qatrt --config "$conf" claims 2>&1)
rc=$?
check "an outsider is refused (exit 1): $out" [ $rc = 1 ]
check "an outsider is told why: $out" grep -q 'Permission denied.*registry /run/qatrt/registry (is this user in the group' <<<"$out"
out=$(runuser -u qatrt-ci-out -- env LD_LIBRARY_PATH="$LD_LIBRARY_PATH" QATRT_CONFIG="$conf" "$work/hold" SSL </dev/null 2>&1)
check "an outsider gets -EACCES: $out" grep -q '(-13)' <<<"$out"
exec {w}>&-
wait "$holder"
holder=
for u in "${users[@]}"; do userdel "$u"; done

# --- purge: nothing left ---------------------------------------------------
files=$(for d in "${debs[@]}"; do dpkg -c "$d"; done | awk '$1 !~ /^d/ {print $6}' | sed 's|^\.||')
dpkg --purge "${pkgs[@]}" >/dev/null 2>&1
check "purged" [ -z "$(dpkg-query -W -f='${Status}\n' "${pkgs[@]}" 2>/dev/null | grep -v 'not-installed')" ]
left=
for f in $files; do [ -e "$f" ] || [ -L "$f" ] && left="$left $f"; done
check "no packaged file left:$left" [ -z "$left" ]
check "/run/qatrt removed" [ ! -e /run/qatrt ]
check "/etc/qatrt removed" [ ! -e /etc/qatrt ]
check "qat group removed" [ -z "$(getent group qat)" ]
check "no packaged libqatrt in the linker cache" [ -z "$(ldconfig -p | grep "/usr/lib/$multi/libqatrt")" ]

echo "packages: $pass passed, $fail failed"
[ "$fail" = 0 ]
