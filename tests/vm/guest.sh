#!/bin/sh
# Runs in the check-vm guest (see run-vm.sh): configures the devices, runs
# every vm_* program and prints the total as "N passed, N failed".
mkdir -p /tmp/conf
# One configuration per device, in PCI address order (the accel ids);
# the PciId line is what makes the library list these non-QAT functions.
n=0
for a in $(ls /sys/bus/pci/devices); do
	case $a in $EDU_ROOT|$EDU_RP|$E1000E) ;; *) continue ;; esac
	id=$(sed 's/0x//' /sys/bus/pci/devices/$a/vendor):$(sed 's/0x//' /sys/bus/pci/devices/$a/device)
	printf '[GENERAL]\nServicesEnabled = sym\nPciId = %s\n[SSL]\nNumProcesses = 1\n' \
		$id > /tmp/conf/vm_dev$n.conf
	n=$((n + 1))
done
export VM_CONF=/tmp/conf

passed=0 failed=0
for t in $(echo "${VM_TESTS:-vm_basic}" | tr : " "); do
	echo "== $t"
	out=$(/bin/$t 2>&1; echo "@@exit $?")
	echo "$out" | grep -v '^@@'
	counts=$(echo "$out" | sed -n 's/^@@counts //p' | tail -n1)
	status=$(echo "$out" | sed -n 's/^@@exit //p')
	if [ -z "$counts" ]; then
		echo "FAIL - $t: ended without results (exit $status)"
		failed=$((failed + 1))
		continue
	fi
	set -- $counts
	passed=$((passed + $1)) failed=$((failed + $2))
done
echo "$passed passed, $failed failed"
