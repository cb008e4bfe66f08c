/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * qat_state_recent(): the events a registry keeps, read without
 * subscribing: arguments, order and fields, the newest `max`, the ring
 * wrapping, another runtime's events, a corrupt record.
 */
#include <errno.h>
#include <stdlib.h>

#include "util.h"
#include "state_priv.h"

static struct qat_rt *rt;

static void setup(void)
{
	qt_dir_setup();
	qt_sim_conf(qt_dir, "4xxx", 0, NULL, NULL);
	qt_sim_conf(qt_dir, "4xxx", 1, "SimPciAddress = 0000:f0:01.0\n", NULL);
	rt = qt_rt_open(qt_dir);
}

static void teardown(void)
{
	qat_rt_close(rt);
	rt = NULL;
	qt_dir_teardown();
}

static void publish(unsigned int dev, int event)
{
	ck_assert_int_eq(qat_state_publish(rt, qt_dev_at(rt, dev), event), 0);
}

START_TEST(bad_args)
{
	struct qat_state_event ev;

	ck_assert_int_eq(qat_state_recent(NULL, &ev, 1), -EINVAL);
	ck_assert_int_eq(qat_state_recent(rt, NULL, 1), -EINVAL);
	ck_assert_int_eq(qat_state_recent(rt, NULL, 0), 0);
	ck_assert_int_eq(qat_state_recent(rt, &ev, 1), 0);
}
END_TEST

START_TEST(order_and_fields)
{
	static const int evs[5] = { QAT_EVENT_RESTARTING, QAT_EVENT_RESTARTED,
				    QAT_EVENT_ERROR, QAT_EVENT_INIT,
				    QAT_EVENT_DBG_SHUTDOWN };
	struct qat_state_event got[16];
	unsigned int i;

	for (i = 0; i < 5; i++)
		publish(i % 2, evs[i]);
	ck_assert_int_eq(qat_state_recent(rt, got, 16), 5);
	for (i = 0; i < 5; i++) {
		ck_assert_uint_eq(got[i].seq, i + 1);
		ck_assert_uint_eq(got[i].dev_id, i % 2);
		ck_assert_int_eq(got[i].event, evs[i]);
		ck_assert_uint_eq(got[i].flags, 0);
		if (i)
			ck_assert_uint_ge(got[i].timestamp_ns,
					  got[i - 1].timestamp_ns);
	}
	/* The newest two, oldest first. */
	ck_assert_int_eq(qat_state_recent(rt, got, 2), 2);
	ck_assert_uint_eq(got[0].seq, 4);
	ck_assert_uint_eq(got[1].seq, 5);
	ck_assert_int_eq(got[1].event, QAT_EVENT_DBG_SHUTDOWN);
}
END_TEST

START_TEST(ring_wraps)
{
	unsigned int n = QAT_STATE_RING_EVENTS + 10, i;
	struct qat_state_event *got = calloc(n, sizeof(*got));

	ck_assert_ptr_nonnull(got);
	for (i = 0; i < n; i++)
		publish(0, i % 2 ? QAT_EVENT_RESTARTED : QAT_EVENT_RESTARTING);
	/* Asking for more than is kept gets what is kept. */
	ck_assert_int_eq(qat_state_recent(rt, got, n), QAT_STATE_RING_EVENTS);
	for (i = 0; i < QAT_STATE_RING_EVENTS; i++) {
		ck_assert_uint_eq(got[i].seq, 11 + i);
		ck_assert_int_eq(got[i].event, (10 + i) % 2 ?
				 QAT_EVENT_RESTARTED : QAT_EVENT_RESTARTING);
	}
	free(got);
}
END_TEST

START_TEST(other_runtime)
{
	struct qat_state_event got[4];
	struct qat_rt *rt2;

	ck_assert_int_eq(qt_rt_try_open_reg(qt_dir, qat_rt_registry_path(rt),
					    &rt2), 0);
	ck_assert_int_eq(qat_state_publish(rt2, qt_dev_at(rt2, 1),
					   QAT_EVENT_ERROR), 0);
	ck_assert_int_eq(qat_state_recent(rt, got, 4), 1);
	ck_assert_uint_eq(got[0].dev_id, 1);
	ck_assert_int_eq(got[0].event, QAT_EVENT_ERROR);
	qat_rt_close(rt2);
}
END_TEST

START_TEST(corrupt_record)
{
	struct qat_state_event got[4];
	struct qat_state_rt *st;

	publish(0, QAT_EVENT_RESTARTING);
	publish(0, QAT_EVENT_RESTARTED);
	ck_assert_int_eq(qat_state_attach(rt, &st), 0);
	/* Another process scribbled on the shared ring. */
	st->seg->ring[2].event = QAT_EVENT_COUNT + 3;
	ck_assert_int_eq(qat_state_recent(rt, got, 4), -EPROTO);
	/* Asking only for the newest still meets it. */
	ck_assert_int_eq(qat_state_recent(rt, got, 1), -EPROTO);
	st->seg->ring[2].event = QAT_EVENT_RESTARTED;
	ck_assert_int_eq(qat_state_recent(rt, got, 4), 2);
}
END_TEST

Suite *recent_suite(void)
{
	Suite *s = suite_create("recent");
	TCase *api = tcase_create("api");

	tcase_set_timeout(api, 60);
	tcase_add_checked_fixture(api, setup, teardown);
	tcase_add_test(api, bad_args);
	tcase_add_test(api, order_and_fields);
	tcase_add_test(api, ring_wraps);
	tcase_add_test(api, other_runtime);
	tcase_add_test(api, corrupt_record);
	suite_add_tcase(s, api);
	return s;
}
