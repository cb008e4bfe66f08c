# libqatrt: one build for the library, tests, samples, install, check, bench.
#
#   make            build libqatrt.a, libqatrt.so.1.0.0 and the samples
#   make demo       install missing build dependencies, then run the demo
#   make check      install missing build dependencies, then run every test
#   make bench      benchmarks (ours against a floor or a peer, same run)
#   make fuzz       short fuzzing runs (FUZZ_SECONDS per target)
#   make install    honours DESTDIR, PREFIX, LIBDIR, INCLUDEDIR, MANDIR, BINDIR
#   SANITIZE=1      build (into build-san/) with ASan and UBSan
#   SANITIZE=thread build (into build-tsan/) with ThreadSanitizer

VERSION       := 1.0.0
SOVERSION     := 1
PREFIX        ?= /usr/local
LIBDIR        ?= $(PREFIX)/lib
INCLUDEDIR    ?= $(PREFIX)/include
MANDIR        ?= $(PREFIX)/share/man
PKGCONFIGDIR  ?= $(LIBDIR)/pkgconfig
DESTDIR       ?=

SANITIZE      ?= 0
ifeq ($(SANITIZE),1)
O             ?= build-san
SAN_FLAGS     := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                 -fno-omit-frame-pointer
else ifeq ($(SANITIZE),thread)
O             ?= build-tsan
# -Wno-tsan: TSan does not model fences; the seqlock and nudge code
# that uses them reaches shared data through atomics only, which never
# race in TSan's eyes, so nothing it checks is lost.
SAN_FLAGS     := -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan
else
O             ?= build
SAN_FLAGS     :=
endif

CC            ?= gcc
CXX           ?= g++
FUZZ_CC       ?= clang-14
FUZZ_SECONDS  ?= 20
PKG_DEPS      := libpci numa jansson

# Debian packages the build and the tests need (make deps installs them).
DEB_DEPS      := gcc g++ make pkg-config libpci-dev libnuma-dev \
                 libjansson-dev check mandoc binutils
DEB_DEPS_FUZZ := clang-14 libclang-rt-14-dev
DEB_DEPS_BENCH := libdpdk-dev

# Evaluated when used, so that a `make deps` earlier in the same run counts.
DEP_CFLAGS     = $(shell pkg-config --cflags $(PKG_DEPS))
DEP_LIBS       = $(shell pkg-config --libs $(PKG_DEPS)) -lpthread
CHECK_LIBS     = $(shell pkg-config --libs check)

WARN          := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
                 -Wmissing-prototypes -Wno-unused-parameter
BASE_CFLAGS    = -std=c11 -O2 -g -D_GNU_SOURCE -Iinclude -Ilib $(WARN) \
                 $(SAN_FLAGS) $(DEP_CFLAGS) $(EXTRA_CFLAGS)
LIB_CFLAGS     = $(BASE_CFLAGS) -fPIC -fvisibility=hidden
LDFLAGS_SAN   := $(SAN_FLAGS)

LIB_SRCS      := $(sort $(wildcard lib/*.c))
LIB_OBJS      := $(LIB_SRCS:%.c=$(O)/%.o)
LIB_HDRS      := $(wildcard lib/*.h include/qat/*.h)
STATIC        := $(O)/libqatrt.a
SHARED        := $(O)/libqatrt.so.$(VERSION)
SHARED_LINKS  := $(O)/libqatrt.so.$(SOVERSION) $(O)/libqatrt.so

CHECK_SRCS    := $(filter-out tests/check_main.c,$(sort $(wildcard tests/check_*.c)))
CHECK_RUNNER  := $(O)/tests/check_runner
TEST_PROGS    := $(patsubst tests/%.c,$(O)/tests/%,$(sort $(wildcard tests/prog_*.c)))
BENCH_SRCS    := $(sort $(wildcard tests/bench/bench_*.c))
BENCH_PROGS   := $(BENCH_SRCS:tests/bench/%.c=$(O)/bench/%)
SAMPLE_SRCS   := $(sort $(wildcard samples/*.c))
SAMPLE_PROGS  := $(SAMPLE_SRCS:samples/%.c=$(O)/samples/%)
FUZZ_SRCS     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_PROGS    := $(FUZZ_SRCS:tests/fuzz/%.c=$(O)/fuzz/%)

# Per-program extra flags come from fragments next to the programs:
# CFLAGS_<prog> and LIBS_<prog> (e.g. a benchmark that also links DPDK).
# Fragments define targets (install hooks among them): none may become
# the default goal.
.DEFAULT_GOAL := all

# Areas with targets of their own (check-vm, the tool, packaging) keep them
# in a fragment beside their files too.
-include $(sort $(wildcard tests/*.mk tests/*/*.mk samples/*.mk samples/*/*.mk))

.PHONY: all lib samples demo check check-build check-run bench fuzz deps \
        deps-fuzz deps-bench install uninstall clean
.DELETE_ON_ERROR:

all: lib samples
lib: $(STATIC) $(SHARED_LINKS) $(O)/libqatrt.pc

$(O)/lib/%.o: lib/%.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -c -o $@ $<

$(STATIC): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(SHARED): $(LIB_OBJS) lib/libqatrt.map
	$(CC) -shared -o $@ $(LIB_OBJS) -Wl,-soname,libqatrt.so.$(SOVERSION) \
	  -Wl,--version-script=lib/libqatrt.map -Wl,-z,defs $(LDFLAGS_SAN) \
	  $(DEP_LIBS)

$(O)/libqatrt.so.$(SOVERSION): $(SHARED)
	ln -sf $(notdir $<) $@
$(O)/libqatrt.so: $(O)/libqatrt.so.$(SOVERSION)
	ln -sf $(notdir $<) $@

# The .pc names install paths, so install writes its own copy: one built
# earlier may have been made for another PREFIX.
gen_pc = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    pkgconfig/libqatrt.pc.in > $(1)
$(O)/libqatrt.pc: pkgconfig/libqatrt.pc.in Makefile
	@mkdir -p $(@D)
	$(call gen_pc,$@)

# Samples and tests link the static library: hidden helpers stay reachable
# for white-box tests, and no LD_LIBRARY_PATH is needed.
samples: $(SAMPLE_PROGS)
$(O)/samples/%: samples/%.c $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(CFLAGS_$*) -o $@ $< $(STATIC) $(DEP_LIBS) \
	  $(LDFLAGS_SAN) $(LIBS_$*)

# The Check runner: every tests/check_<area>.c defines <area>_suite().
$(O)/tests/suites.h: $(CHECK_SRCS) Makefile
	@mkdir -p $(@D)
	for f in $(CHECK_SRCS:tests/check_%.c=%); do \
	  echo "QAT_SUITE($$f)"; done > $@

# Suites are found by name, not declared in a header.
$(O)/tests/%.o: tests/%.c $(LIB_HDRS) $(wildcard tests/*.h) $(O)/tests/suites.h
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Wno-missing-prototypes -Itests -I$(O)/tests \
	  -c -o $@ $<

$(CHECK_RUNNER): $(O)/tests/check_main.o $(CHECK_SRCS:%.c=$(O)/%.o) \
                 $(patsubst %.c,$(O)/%.o,$(wildcard tests/util_*.c)) $(STATIC)
	$(CC) -o $@ $^ $(STATIC) $(DEP_LIBS) $(CHECK_LIBS) $(LDFLAGS_SAN)

$(O)/tests/prog_%: tests/prog_%.c $(STATIC) $(wildcard tests/*.h)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Itests -o $@ $< $(STATIC) $(DEP_LIBS) $(LDFLAGS_SAN)

# A benchmark also rebuilds when its fragment (its flags) changes.
.SECONDEXPANSION:
$(O)/bench/%: tests/bench/%.c $(STATIC) $(wildcard tests/bench/*.h) \
              $$(wildcard tests/bench/$$*.mk)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -Itests/bench $(CFLAGS_$*) -o $@ $< $(STATIC) \
	  $(DEP_LIBS) $(LDFLAGS_SAN) $(LIBS_$*) -lm

# The quick-start targets set themselves up, then recurse so that flags
# from freshly installed packages are seen.
demo: deps
	$(MAKE) --no-print-directory demo-run
check: deps
	$(MAKE) --no-print-directory check-run

.PHONY: demo-run
demo-run: $(O)/samples/demo
	@reg=$$(mktemp -u /tmp/qatrt-demo-XXXXXX); \
	QATRT_CONFIG=samples/conf QATRT_REGISTRY=$$reg $(O)/samples/demo; \
	ret=$$?; rm -f $$reg.*; exit $$ret

check-build: lib samples $(CHECK_RUNNER) $(TEST_PROGS)

# Script checks first, the Check runner last: its summary line ends the run.
check-run: check-build
	@set -e; for t in tests/check-*.sh; do \
	  O=$(O) CC="$(CC)" CXX="$(CXX)" MAKE="$(MAKE)" bash $$t; done
	QATRT_TEST_BINDIR=$(O)/tests CK_DEFAULT_TIMEOUT=120 $(CHECK_RUNNER)

bench: deps-bench
	$(MAKE) --no-print-directory bench-run
.PHONY: bench-run
bench-run: $(BENCH_PROGS)
	@set -e; for b in $(BENCH_PROGS); do echo "== $$(basename $$b)"; $$b; done

$(O)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) -g -O1 -std=c11 -D_GNU_SOURCE -Iinclude -Ilib \
	  -fsanitize=fuzzer,address,undefined -o $@ $< $(LIB_SRCS) \
	  $(DEP_CFLAGS) $(DEP_LIBS)

fuzz: deps-fuzz
	$(MAKE) --no-print-directory fuzz-run
.PHONY: fuzz-run
fuzz-run: $(FUZZ_PROGS)
	@set -e; for f in $(FUZZ_PROGS); do n=$$(basename $$f); \
	  c=tests/fuzz/corpus_$${n#fuzz_}; w=$$(mktemp -d); \
	  echo "== $$n ($(FUZZ_SECONDS) s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -print_final_stats=1 \
	    $$w $$c 2>&1 | tail -n 12; rm -rf $$w; done

# Install whatever is missing; quiet and quick when all is there.
define apt_install
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	    || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "missing packages:$$missing (run make deps as root)" >&2; exit 1; fi; \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing >/dev/null; fi
endef
deps:
	$(call apt_install,$(DEB_DEPS))
deps-fuzz: deps
	$(call apt_install,$(DEB_DEPS_FUZZ))
deps-bench: deps
	$(call apt_install,$(DEB_DEPS_BENCH))

# Fragments add their own steps to INSTALL_HOOKS / UNINSTALL_HOOKS.
install: lib $(INSTALL_HOOKS)
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/qat \
	  $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man3
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf libqatrt.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libqatrt.so.$(SOVERSION)
	ln -sf libqatrt.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libqatrt.so
	install -m 644 include/qat/*.h $(DESTDIR)$(INCLUDEDIR)/qat/
	$(call gen_pc,$(DESTDIR)$(PKGCONFIGDIR)/libqatrt.pc)
	install -m 644 man3/*.3 $(DESTDIR)$(MANDIR)/man3/

uninstall: $(UNINSTALL_HOOKS)
	rm -f $(DESTDIR)$(LIBDIR)/libqatrt.a $(DESTDIR)$(LIBDIR)/libqatrt.so* \
	  $(DESTDIR)$(PKGCONFIGDIR)/libqatrt.pc
	rm -rf $(DESTDIR)$(INCLUDEDIR)/qat
	for m in man3/*.3; do rm -f $(DESTDIR)$(MANDIR)/man3/$$(basename $$m); done

clean:
	rm -rf build build-san build-tsan
