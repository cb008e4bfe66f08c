/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Check runner: one suite per tests/check_<area>.c, listed in the
 * generated suites.h. CK_RUN_SUITE / CK_RUN_CASE pick a subset.
 *
 * The suite must not depend on the caller's environment: the variables the
 * library reads are cleared here, and tests that need them set their own.
 */
#include <check.h>
#include <stdlib.h>

#ifdef __SANITIZE_THREAD__
/* A ThreadSanitizer report fails the test it happens in: the test's
 * process aborts, and Check records the signal. */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
	return "halt_on_error=1:abort_on_error=1:second_deadlock_stack=1";
}
#endif

#define QAT_SUITE(name) Suite *name##_suite(void);
#include "suites.h"
#undef QAT_SUITE

int main(void)
{
	SRunner *sr = srunner_create(NULL);
	int failed;

	unsetenv("QATRT_REGISTRY");
	unsetenv("QATRT_CONFIG");

#define QAT_SUITE(name) srunner_add_suite(sr, name##_suite());
#include "suites.h"
#undef QAT_SUITE
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
