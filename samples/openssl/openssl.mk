# The OpenSSL 3.0 engine and provider (samples/openssl/): one core, two
# modules, built against Debian's libssl-dev. They link the static
# libqatrt (built -fPIC) and export only OpenSSL's entry points. Not built
# in sanitizer builds: a sanitized module cannot load into Debian's
# unsanitized openssl.
DEB_DEPS += libssl-dev openssl
OSSL_DIR     := $(O)/samples/openssl
OSSL_ENGINE  := $(OSSL_DIR)/qatrt-engine.so
OSSL_PROV    := $(OSSL_DIR)/qatrt.so
OSSL_CFLAGS   = $(BASE_CFLAGS) -fPIC -DOPENSSL_SUPPRESS_DEPRECATED \
                $(shell pkg-config --cflags libcrypto 2>/dev/null)
OSSL_LIBS     = $(STATIC) $(DEP_LIBS) $(shell pkg-config --libs libcrypto 2>/dev/null)
OSSL_HDRS    := samples/openssl/qatrt_core.h $(LIB_HDRS)

ifeq ($(SAN_FLAGS),)
samples: $(OSSL_ENGINE) $(OSSL_PROV)
endif

$(OSSL_DIR)/%.o: samples/openssl/%.c $(OSSL_HDRS)
	@mkdir -p $(@D)
	$(CC) $(OSSL_CFLAGS) -Isamples/openssl -c -o $@ $<

# The version script keeps every name but OpenSSL's entry points (and
# libqatrt's own exports) out of the module's table.
OSSL_LDFLAGS := -Wl,--version-script=samples/openssl/modules.map \
                -Wl,--exclude-libs,ALL -Wl,-z,defs
$(OSSL_ENGINE): $(OSSL_DIR)/engine.o $(OSSL_DIR)/core.o $(STATIC) samples/openssl/modules.map
	$(CC) -shared -o $@ $(OSSL_DIR)/engine.o $(OSSL_DIR)/core.o \
	  $(OSSL_LDFLAGS) $(OSSL_LIBS)
$(OSSL_PROV): $(OSSL_DIR)/provider.o $(OSSL_DIR)/core.o $(STATIC) samples/openssl/modules.map
	$(CC) -shared -o $@ $(OSSL_DIR)/provider.o $(OSSL_DIR)/core.o \
	  $(OSSL_LDFLAGS) $(OSSL_LIBS)

# A test program: the provider across fork() (tests/check-openssl.sh).
OSSL_FORK_TEST := $(O)/tests/openssl/fork_digest
ifeq ($(SAN_FLAGS),)
check-build: $(OSSL_FORK_TEST)
endif
$(OSSL_FORK_TEST): tests/openssl/fork_digest.c
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -o $@ $< $(shell pkg-config --libs libcrypto 2>/dev/null)
