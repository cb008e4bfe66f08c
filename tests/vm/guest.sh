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
	# vm_share: a section only the root-bus edu has, with room for
	# four processes that its exclusive mode lets claim one at a time.
	[ $a = $EDU_ROOT ] && printf '[SHARE]\nNumProcesses = 4\n' \
		>> /tmp/conf/vm_dev$n.conf
	n=$((n + 1))
done
export VM_CONF=/tmp/conf

passed=0 failed=0
for t in $(echo "${VM_TESTS:-vm_basic}" | tr : " "); do
	echo "== $t"
	# Shown as it runs: "@@monitor: ..." lines must reach the host now.
	{ /bin/$t 2>&1; echo "@@exit $?"; } | tee /tmp/$t.out
	out=$(cat /tmp/$t.out)
	# Every process of the program (children too) reports its counts.
	counts=$(echo "$out" | sed -n 's/^@@counts //p')
	status=$(echo "$out" | sed -n 's/^@@exit //p')
	if [ -z "$counts" ] || [ "$status" -ge 126 ]; then
		echo "FAIL - $t: ended without results (exit $status)"
		failed=$((failed + 1))
	fi
	set -- $counts
	while [ $# -ge 2 ]; do
		passed=$((passed + $1)) failed=$((failed + $2))
		shift 2
	done
done
echo "$passed passed, $failed failed"
