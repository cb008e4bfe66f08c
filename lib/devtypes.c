/* SPDX-License-Identifier: BSD-3-Clause */
/* Device types of every QAT generation: PCI ids and ring geometry. */
#include <string.h>

#include "internal.h"

#define INTEL 0x8086

/* Vector counts: INTx, MSI, MSI-X (one per bank plus the AE cluster), ERR
 * (PCIe AER), REQ. */
static const struct qat_devtype qat_devtypes[] = {
	{ "dh895xcc", INTEL, 0x0435, 0x0443, 32, 16, 1, { 1, 1, 33, 1, 1 } },
	{ "c62x",     INTEL, 0x37c8, 0x37c9, 16, 16, 1, { 1, 1, 17, 1, 1 } },
	{ "c3xxx",    INTEL, 0x19e2, 0x19e3, 16, 16, 1, { 1, 1, 17, 1, 1 } },
	{ "4xxx",     INTEL, 0x4940, 0x4941, 64, 2, 4, { 1, 1, 65, 1, 1 } },
	{ "401xx",    INTEL, 0x4942, 0x4943, 64, 2, 4, { 1, 1, 65, 1, 1 } },
	{ "402xx",    INTEL, 0x4944, 0x4945, 64, 2, 4, { 1, 1, 65, 1, 1 } },
	{ "420xx",    INTEL, 0x4946, 0x4947, 64, 2, 4, { 1, 1, 65, 1, 1 } },
};

const struct qat_devtype *qat_devtype_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < QAT_ARRAY_SIZE(qat_devtypes); i++)
		if (!strcmp(qat_devtypes[i].name, name))
			return &qat_devtypes[i];
	return NULL;
}

const struct qat_devtype *qat_devtype_by_id(uint16_t vendor, uint16_t device,
					    int *is_vf)
{
	size_t i;

	for (i = 0; i < QAT_ARRAY_SIZE(qat_devtypes); i++) {
		const struct qat_devtype *t = &qat_devtypes[i];

		if (t->vendor_id != vendor)
			continue;
		if (t->pf_id == device || t->vf_id == device) {
			if (is_vf)
				*is_vf = t->vf_id == device;
			return t;
		}
	}
	return NULL;
}

unsigned int qat_devtype_max_processes(const struct qat_devtype *t, int is_vf)
{
	return (is_vf ? t->vf_banks : t->banks) * (t->rings_per_bank / 2);
}
