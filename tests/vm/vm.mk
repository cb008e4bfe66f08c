# check-vm: the library against real vfio-pci devices in a QEMU guest.
# tests/vm/run-vm.sh boots the guest; tests/vm/guest.sh runs the programs
# below in it. Needs qemu-system-x86, busybox-static, cpio and Debian's
# kernel package (fetched and cached in $(O)/vm); skips (77) without them,
# fails under CI=true.
VM_SRCS   := $(sort $(wildcard tests/vm/vm_*.c))
VM_PROGS  := $(patsubst tests/vm/%.c,$(O)/vm/bin/%,$(filter-out tests/vm/vm_util.c,$(VM_SRCS)))
vm_space  := $(subst ,, )
# Order matters: vm_events unbinds a device, so it runs last.
VM_TESTS  ?= vm_basic vm_irq vm_dma vm_reset vm_proc vm_share vm_events

$(O)/vm/bin/%: tests/vm/%.c tests/vm/vm_util.c tests/vm/vm.h tests/util_caps.h \
               tests/share_scenario.h $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Itests/vm -o $@ $< tests/vm/vm_util.c $(STATIC) \
	  $(DEP_LIBS) $(LDFLAGS_SAN)

.PHONY: check-vm
check-vm: $(VM_PROGS)
	O=$(O) VM_GUEST_ENV="VM_TESTS=$(subst $(vm_space),:,$(strip $(VM_TESTS)))" bash tests/vm/run-vm.sh tests/vm/guest.sh $(VM_PROGS)
