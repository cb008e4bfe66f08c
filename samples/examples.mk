# The examples users start from, and the configuration they run on, are
# installed as documentation: $(DOCDIR)/examples/.
DOCDIR        ?= $(PREFIX)/share/doc/libqatrt
EXAMPLE_SRCS  := samples/worker.c samples/worker_epoll.c
EXAMPLE_CONFS := $(sort $(wildcard samples/conf/*.conf))

.PHONY: install-examples uninstall-examples
install: install-examples
uninstall: uninstall-examples

install-examples:
	install -d $(DESTDIR)$(DOCDIR)/examples/conf
	install -m 644 $(EXAMPLE_SRCS) $(DESTDIR)$(DOCDIR)/examples/
	install -m 644 $(EXAMPLE_CONFS) $(DESTDIR)$(DOCDIR)/examples/conf/

# Only what install-examples put there; the directories go when empty
# (other parts may install documentation beside them).
uninstall-examples:
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/examples/,$(notdir $(EXAMPLE_SRCS)))
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/examples/conf/,$(notdir $(EXAMPLE_CONFS)))
	-rmdir $(DESTDIR)$(DOCDIR)/examples/conf $(DESTDIR)$(DOCDIR)/examples \
	  $(DESTDIR)$(DOCDIR) 2>/dev/null
