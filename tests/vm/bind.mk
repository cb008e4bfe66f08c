# check-vm-bind: `qatrt bind` / `unbind` on real vfio-pci devices in the
# QEMU guest of tests/vm/run-vm.sh (the VFIO tests' runner; skipped when
# this tree has none).
.PHONY: check-vm-bind
check-vm-bind: $(O)/samples/qatrt
	@if [ -f tests/vm/run-vm.sh ]; then \
	  O=$(O) bash tests/vm/run-vm.sh tests/vm/bind-guest.sh $(O)/samples/qatrt \
	    debian/vfio-group-qat; \
	else echo "check-vm-bind: skipped: no tests/vm/run-vm.sh here"; fi
