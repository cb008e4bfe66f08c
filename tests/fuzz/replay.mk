# Every fuzz target is also built with the suite's compiler and flags
# against tests/fuzz/replay_main.c, and tests/check-fuzz-corpus.sh replays
# its corpus (tests/fuzz/corpus_<name>/) through it in `make check`.
FUZZ_REPLAY_PROGS := $(FUZZ_SRCS:tests/fuzz/%.c=$(O)/fuzz-replay/%)

$(O)/fuzz-replay/%: tests/fuzz/%.c tests/fuzz/replay_main.c $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -o $@ $< tests/fuzz/replay_main.c $(STATIC) \
	  $(DEP_LIBS) $(LDFLAGS_SAN)

check-build: $(FUZZ_REPLAY_PROGS)
