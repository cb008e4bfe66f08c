/* SPDX-License-Identifier: BSD-3-Clause */
/* check-vm: reset behind a root port (events, device works after) and on
 * the root bus (-ENOTSUP, nothing published: defect 1). */
#include <errno.h>
#include <stdio.h>

#include "vm.h"

static int next_event(struct qat_state_sub *sub, int ms)
{
	struct qat_state_event ev;

	if (qat_state_read(sub, &ev) == 0)
		return ev.event;
	if (vm_wait_fd(qat_state_fd(sub), ms) <= 0)
		return -1;
	return qat_state_read(sub, &ev) == 0 ? ev.event : -1;
}

static int edu_alive(struct qat_dev *dev)
{
	volatile uint32_t *r;
	void *p;
	size_t len;
	int ok;

	if (qat_dev_bar_map(dev, 0, 1, &p, &len))
		return 0;
	r = p;
	r[EDU_LIVENESS / 4] = 0x5a5a0001u;
	ok = r[EDU_ID / 4] == EDU_ID_VALUE &&
	     r[EDU_LIVENESS / 4] == ~0x5a5a0001u;
	qat_dev_bar_unmap(dev, 0, p, len);
	return ok;
}

int main(void)
{
	const char *rp = vm_env("EDU_RP"), *root = vm_env("EDU_ROOT");
	struct qat_rt *rt = vm_rt_open();
	struct qat_dev *drp = vm_dev_by_addr(rt, rp);
	struct qat_dev *droot = vm_dev_by_addr(rt, root);
	struct qat_state_sub *sub = NULL;
	int ret, e1, e2, before;

	if (!drp || !droot || qat_state_subscribe(rt, 0, NULL, &sub)) {
		vm_ok(0, "reset: setup", "devices or subscription missing");
		return vm_done();
	}
	ret = qat_dev_reset(drp);
	e1 = next_event(sub, 2000);
	e2 = next_event(sub, 2000);
	vm_ok(ret == 0 && e1 == QAT_EVENT_RESTARTING &&
	      e2 == QAT_EVENT_RESTARTED,
	      "reset behind the root port: RESTARTING, RESTARTED",
	      "ret %d, events %d %d", ret, e1, e2);
	vm_ok(edu_alive(drp), "device works after reset", "%s", rp);
	vm_ok(qat_dev_state(drp) == QAT_EVENT_RESTARTED,
	      "state after reset: RESTARTED", "%d", qat_dev_state(drp));

	before = qat_dev_state(droot);
	ret = qat_dev_reset(droot);
	e1 = next_event(sub, 500);
	vm_ok(ret == -ENOTSUP && e1 == -1 && qat_dev_state(droot) == before,
	      "reset on the root bus: -ENOTSUP, no event, state unchanged",
	      "ret %d, event %d, state %d (was %d)", ret, e1,
	      qat_dev_state(droot), before);
	vm_ok(edu_alive(droot), "root-bus device still works", "%s", root);
	qat_state_unsubscribe(sub);
	qat_rt_close(rt);
	return vm_done();
}
