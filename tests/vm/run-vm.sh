#!/usr/bin/env bash
# Run programs against real vfio-pci devices in a QEMU guest.
#
#   tests/vm/run-vm.sh GUEST_SCRIPT [FILE...]
#
# Boots Debian's current amd64 kernel (unpacked from its package, never
# installed) under TCG with an emulated Intel IOMMU and these devices:
#
#   00:0x.0  edu       on the root bus: no reset method
#   rp1      pcie-root-port with an edu behind it: the kernel can reset it
#   rp2      pcie-root-port with an e1000e behind it: MSI-X and AER
#
# A busybox initramfs loads the vfio modules, binds every edu (1234:11e8)
# and e1000e (8086:10d3) to vfio-pci through driver_override, copies
# GUEST_SCRIPT to /test.sh and the FILEs (with the shared libraries they
# need and the dynamic loader) to /bin, runs /test.sh and powers off.
# /test.sh finds the devices' addresses in $EDU_ROOT, $EDU_RP and $E1000E.
#
# A guest line "@@monitor: CMD" is sent to the QEMU monitor (how a test
# injects an AER error); the monitor's answers go to $WORK/monitor.log.
#
# Exit status: 0 when the guest printed "N passed, 0 failed" as the last
# such line, 1 when a test failed or no result came, 77 (skip) when qemu,
# busybox, cpio or the kernel package is missing, except under CI=true,
# where a missing piece is a failure (CI installs them).
#
# Environment: VM_GUEST_ENV ("NAME=value" words exported to /test.sh);
# O (build dir, default build): the kernel package is cached
# in $O/vm; VM_TIMEOUT (seconds, default 480); VM_KERNEL_PKG (a .deb to use
# instead of downloading one).
set -uo pipefail

O=${O:-build}
VM_TIMEOUT=${VM_TIMEOUT:-480}
CACHE=$O/vm
MODULES="irqbypass vfio vfio_iommu_type1 vfio_virqfd vfio-pci-core vfio-pci"

missing() {
	if [ "${CI:-}" = true ]; then
		echo "check-vm: FAILED: $*" >&2
		exit 1
	fi
	echo "check-vm: SKIP: $*" >&2
	exit 77
}

[ $# -ge 1 ] || { echo "usage: $0 GUEST_SCRIPT [FILE...]" >&2; exit 2; }
guest_script=$1; shift

for tool in qemu-system-x86_64 cpio gzip; do
	command -v $tool >/dev/null || missing "$tool not installed"
done
BUSYBOX=$(command -v busybox || true)
case $([ -n "$BUSYBOX" ] && ldd "$BUSYBOX" 2>&1) in
*"not a dynamic"*) ;;
*) missing "a static busybox (Debian: busybox-static) not installed" ;;
esac

# --- the kernel: Debian's current one, from its package -----------------
mkdir -p "$CACHE"
pkg=${VM_KERNEL_PKG:-}
if [ -z "$pkg" ]; then
	name=$(apt-cache depends linux-image-amd64 2>/dev/null |
	       awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$name" ] || name=$(ls "$CACHE" 2>/dev/null |
		sed -n 's/^\(linux-image-[0-9][^_]*\)_.*\.deb$/\1/p' | tail -n1)
	[ -n "$name" ] || missing "no linux-image-*-amd64 known to apt-cache"
	pkg=$(ls "$CACHE"/"$name"_*.deb 2>/dev/null | tail -n1)
	if [ -z "$pkg" ]; then
		(cd "$CACHE" && apt-get download -qq "$name" >/dev/null 2>&1) ||
			missing "apt-get download $name failed"
		pkg=$(ls "$CACHE"/"$name"_*.deb | tail -n1)
	fi
fi
[ -f "$pkg" ] || missing "kernel package $pkg not found"
kdir=$CACHE/kernel-$(basename "$pkg" .deb)
if [ ! -d "$kdir/boot" ]; then
	rm -rf "$kdir.tmp" && dpkg -x "$pkg" "$kdir.tmp" && mv "$kdir.tmp" "$kdir" ||
		missing "dpkg -x $pkg failed"
fi
vmlinuz=$(ls "$kdir"/boot/vmlinuz-* | head -n1)

# --- the initramfs ---------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/qatrt-vm.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT
root=$WORK/root
mkdir -p "$root"/{bin,sbin,lib/modules,proc,sys,dev,tmp,etc}
cp "$BUSYBOX" "$root/bin/busybox"
for a in sh mount insmod poweroff cat echo ls sleep grep sed readlink \
	 basename mkdir rm kill ps true false timeout; do
	ln -s busybox "$root/bin/$a"
done

for m in $MODULES; do
	ko=$(find "$kdir/lib/modules" -name "$m.ko*" | head -n1)
	[ -n "$ko" ] || missing "module $m not in $pkg"
	case $ko in
	*.ko)     cp "$ko" "$root/lib/modules/$m.ko" ;;
	*.ko.xz)  xz -dc "$ko" > "$root/lib/modules/$m.ko" ||
			missing "xz needed for $ko" ;;
	*.ko.zst) zstd -qdc "$ko" > "$root/lib/modules/$m.ko" ||
			missing "zstd needed for $ko" ;;
	*)        missing "unknown module format $ko" ;;
	esac
done

# Programs with the libraries they link (same paths as on the host, so
# the dynamic loader finds them without configuration).
copy_with_libs() {
	cp "$1" "$root/bin/"
	ldd "$1" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}
for f in "$@"; do
	[ -f "$f" ] || { echo "check-vm: $f not built" >&2; exit 1; }
	copy_with_libs "$f"
done
for kv in ${VM_GUEST_ENV:-}; do
	printf "export %s='%s'\n" "${kv%%=*}" "${kv#*=}"
done > "$root/etc/guest.env"
cp "$guest_script" "$root/test.sh"
chmod +x "$root/test.sh"

cat > "$root/init" <<'EOF'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/shm && mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
# disable_idle_d3: keep idle functions in D0 between the test programs.
for m in MODULES; do
	args=; [ $m = vfio-pci ] && args=disable_idle_d3=1
	insmod /lib/modules/$m.ko $args || echo "init: insmod $m failed"
done
# Bind by driver_override: the id-table route (new_id) would also take
# devices nobody asked for.
for d in /sys/bus/pci/devices/*; do
	id=$(cat $d/vendor):$(cat $d/device)
	case $id in 0x1234:0x11e8|0x8086:0x10d3) ;; *) continue ;; esac
	a=${d##*/}
	echo vfio-pci > $d/driver_override
	[ -e $d/driver ] && echo $a > $d/driver/unbind
	echo $a > /sys/bus/pci/drivers_probe
	parent=$(basename $(dirname $(readlink -f $d)))
	case $id:$parent in
	0x1234:0x11e8:pci0000:*) export EDU_ROOT=$a ;;
	0x1234:0x11e8:*)         export EDU_RP=$a ;;
	*)                       export E1000E=$a ;;
	esac
	echo "init: $a ($id) -> $(basename $(readlink $d/driver))," \
	     "group $(basename $(readlink $d/iommu_group))"
done
export PATH=/bin:/sbin
. /etc/guest.env
cd /tmp && /test.sh
echo "init: /test.sh exited $?"
poweroff -f
EOF
sed -i "s/for m in MODULES/for m in $MODULES/" "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$WORK/initrd.gz"

# --- the guest ---------------------------------------------------------------
mkfifo "$WORK/monitor.in" "$WORK/monitor.out"
cat "$WORK/monitor.out" > "$WORK/monitor.log" &
log=$WORK/console.log
# hotplug=off: with pciehp driving the slots, functions behind the ports
# read as all ones once vfio-pci has them.
start=$(date +%s)
timeout -k 5 "$VM_TIMEOUT" qemu-system-x86_64 \
	-accel tcg -m 512 -smp 2 -nographic -no-reboot -net none \
	-machine q35,kernel-irqchip=split \
	-device intel-iommu,intremap=on \
	-device edu,id=edu0,dma_mask=0xffffffffff \
	-device pcie-root-port,id=rp1,chassis=1,slot=1,hotplug=off \
	-device edu,id=edu1,bus=rp1,dma_mask=0xffffffffff \
	-device pcie-root-port,id=rp2,chassis=2,slot=2,hotplug=off \
	-device e1000e,id=nic0,bus=rp2 \
	-monitor pipe:"$WORK/monitor" \
	-kernel "$vmlinuz" -initrd "$WORK/initrd.gz" \
	-append "console=ttyS0 intel_iommu=on pcie_ports=native pcie_port_pm=off panic=-1 quiet" \
	</dev/null 2>&1 |
while IFS= read -r line; do
	line=${line%$'\r'}
	printf '%s\n' "$line" | tee -a "$log"
	case $line in
	*"@@monitor: "*) printf '%s\n' "${line#*@@monitor: }" > "$WORK/monitor.in" ;;
	esac
done
qrc=${PIPESTATUS[0]}
echo "check-vm: guest ran $(( $(date +%s) - start )) s (qemu exit $qrc)"
if [ -s "$WORK/monitor.log" ] && [ -n "${VM_SHOW_MONITOR:-}" ]; then
	tr -d '\r' < "$WORK/monitor.log"
fi

result=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n1)
[ "$qrc" = 124 ] && { echo "check-vm: guest timed out after $VM_TIMEOUT s"; exit 1; }
[ -n "$result" ] || { echo "check-vm: no result line from the guest"; exit 1; }
# The guest's result line again, last, for CI to read.
echo "$result"
case $result in *" 0 failed") exit 0 ;; *) exit 1 ;; esac
