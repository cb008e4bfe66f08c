# make check-mutants: plant each one-line bug of tests/mutants/mutants.txt
# in a scratch copy of the tree, rebuild incrementally, run the suites the
# mutant names, and fail unless every mutant is caught (tests/mutants/).
.PHONY: check-mutants check-mutants-run mutant-build

# What a mutant run needs rebuilt: the Check runner and the programs the
# suites and the corpus replay use, not the samples.
mutant-build: $(CHECK_RUNNER) $(TEST_PROGS) $(FUZZ_REPLAY_PROGS)

check-mutants: deps
	$(MAKE) --no-print-directory check-mutants-run
check-mutants-run:
	MAKE="$(MAKE)" bash tests/mutants/run.sh tests/mutants/mutants.txt
