# bench_irq compares the dispatcher with DPDK's interrupt thread when
# libdpdk-dev is there (make deps-bench installs it); without it, only
# with the bare epoll floor. The rte_intr_instance_* accessors are still
# "experimental" in 22.11.
ifneq ($(shell pkg-config --exists libdpdk 2>/dev/null && echo y),)
CFLAGS_bench_irq := -DHAVE_DPDK -DALLOW_EXPERIMENTAL_API $(shell pkg-config --cflags libdpdk)
LIBS_bench_irq := $(shell pkg-config --libs libdpdk)
endif
