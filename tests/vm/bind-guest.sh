#!/bin/sh
# Runs in the check-vm guest (tests/vm/run-vm.sh boots it with every edu
# and e1000e bound to vfio-pci): `qatrt bind` / `unbind` on real devices.
# The edu id is given with --pci-ids, as it is no QAT id.
p=0 f=0
ok() { p=$((p + 1)); }
bad() { echo "FAIL - $*"; f=$((f + 1)); }
q() { /bin/qatrt --pci-ids 1234:11e8 "$@"; }
drv() { [ -e /sys/bus/pci/devices/$1/driver ] &&
	basename "$(readlink /sys/bus/pci/devices/$1/driver)"; }
a=$EDU_RP
g=$(basename "$(readlink /sys/bus/pci/devices/$a/iommu_group)")

# A process holding the group: unbind refuses and names it.
exec 3<>/dev/vfio/$g
out=$(q unbind $a 2>&1)
[ $? = 1 ] && ok || bad "unbind while the group is open: exit 1"
echo "$out" | grep -q "in use: process $$ has /dev/vfio/$g open" && ok ||
	bad "unbind while open says who: $out"
[ "$(drv $a)" = vfio-pci ] && ok || bad "still on vfio-pci after the refusal"
exec 3>&-

out=$(q unbind $a 2>&1) && ok || bad "unbind: $out"
[ -z "$(drv $a)" ] && ok || bad "unbound: now $(drv $a)"
[ ! -e /dev/vfio/$g ] && ok || bad "/dev/vfio/$g gone after unbind"
grep -q vfio-pci /sys/bus/pci/devices/$a/driver_override && bad "driver_override cleared" || ok
out=$(q devices --json 2>&1)
echo "$out" | grep -q '"backend": "sysfs"' && ok || bad "unbound edu listed through sysfs: $out"

out=$(q bind $a 2>&1) && ok || bad "bind: $out"
[ "$(drv $a)" = vfio-pci ] && ok || bad "bound: now $(drv $a)"
echo "$out" | grep -q "$a: bound to vfio-pci, /dev/vfio/$g" && ok || bad "bind says where: $out"
[ -e /dev/vfio/$g ] && ok || bad "/dev/vfio/$g back"
out=$(q bind $a 2>&1) && echo "$out" | grep -q 'already bound' && ok || bad "bind twice: $out"

# Every function at once: both edus off vfio-pci, then both back.
out=$(q unbind 2>&1) && ok || bad "unbind all: $out"
[ -z "$(drv $EDU_ROOT)" ] && [ -z "$(drv $EDU_RP)" ] && ok || bad "both unbound"
out=$(q bind 2>&1) && ok || bad "bind all: $out"
[ "$(drv $EDU_ROOT)" = vfio-pci ] && [ "$(drv $EDU_RP)" = vfio-pci ] && ok || bad "both bound"

# Not ours: the e1000e is no accelerator, and nothing changes.
out=$(q bind $E1000E $a 2>&1)
[ $? = 1 ] && echo "$out" | grep -q "$E1000E: not a QAT function" && ok ||
	bad "a non-accelerator is refused: $out"

# The udev rule's helper on real IOMMU groups: neither an edu nor an
# e1000e (Intel, but no QAT id) is a QAT function.
if [ -x /bin/vfio-group-qat ]; then
	for d in $EDU_RP $E1000E; do
		/bin/vfio-group-qat "$(basename "$(readlink /sys/bus/pci/devices/$d/iommu_group)")"
		[ $? = 1 ] && ok || bad "vfio-group-qat: $d is no QAT function"
	done
	/bin/vfio-group-qat 1x
	[ $? = 2 ] && ok || bad "vfio-group-qat: a bad group name"
fi

echo "$p passed, $f failed"
