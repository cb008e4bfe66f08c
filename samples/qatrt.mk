# The qatrt tool. The sample rule builds build/samples/qatrt against the
# static library (run it from the tree); the copy that `make install`
# installs links the shared library, as a packaged tool would.
# The tool's other parts live in samples/qatrt/.
BINDIR ?= $(PREFIX)/bin
QATRT_TOOL := $(O)/tool/qatrt
QATRT_PARTS := $(patsubst samples/qatrt/%.c,$(O)/tool/%.o,$(wildcard samples/qatrt/*.c))

$(O)/tool/%.o: samples/qatrt/%.c samples/qatrt/tool.h $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -c -o $@ $<

# Overrides the one-file sample rule: the tool has parts.
$(O)/samples/qatrt: samples/qatrt.c $(QATRT_PARTS) samples/qatrt/tool.h $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -o $@ $< $(QATRT_PARTS) $(STATIC) $(DEP_LIBS) \
	  $(LDFLAGS_SAN)

samples: $(QATRT_TOOL)
$(QATRT_TOOL): samples/qatrt.c $(QATRT_PARTS) $(SHARED_LINKS) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -o $@ $< $(QATRT_PARTS) -L$(O) -lqatrt \
	  $(shell pkg-config --libs jansson) $(LDFLAGS_SAN)

INSTALL_HOOKS += install-qatrt
UNINSTALL_HOOKS += uninstall-qatrt
.PHONY: install-qatrt uninstall-qatrt
install-qatrt: $(QATRT_TOOL)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(QATRT_TOOL) $(DESTDIR)$(BINDIR)/qatrt
	install -m 644 man1/qatrt.1 $(DESTDIR)$(MANDIR)/man1/
uninstall-qatrt:
	rm -f $(DESTDIR)$(BINDIR)/qatrt $(DESTDIR)$(MANDIR)/man1/qatrt.1
