/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device types of every QAT generation: PCI ids and ring geometry.
 *
 * Facts from the Linux drivers (drivers/crypto/intel/qat: adf_accel_devices.h
 * and include/linux/pci_ids.h for the ids, qat_<type>/adf_<type>_hw_data.h,
 * adf_gen2_hw_data.h, adf_gen4_hw_data.h and qat_6xxx for the geometry,
 * qat_common/adf_isr.c for the MSI-X count) and, for the types only the
 * out-of-tree driver knows (200xx, d15xx, c4xxx), from its FreeBSD port
 * (sys/dev/qat/qat_hw, qat_common/adf_accel_devices.h).
 */
#include <string.h>

#include "internal.h"

#define INTEL 0x8086

/*
 * Gen 1 and 2 (and c4xxx) functions: 16 rings per bank, a VF owns one
 * bank. Gen 4 and 6: 2 rings per bank (one ring pair), 64 banks, a VF owns
 * 4 banks. MSI-X: the PF driver asks for one vector per bank plus one for
 * the AE cluster. INTx, MSI, ERR and REQ: one each.
 */
#define GEN2_VECTORS(banks) { 1, 1, (banks) + 1, 1, 1 }

static const struct qat_devtype qat_devtypes[] = {
	/* gen 1 */
	{ "dh895xcc", INTEL, 0x0435, 0x0443, 32, 16, 1, GEN2_VECTORS(32) },
	/* gen 2 */
	{ "c62x",     INTEL, 0x37c8, 0x37c9, 16, 16, 1, GEN2_VECTORS(16) },
	{ "c3xxx",    INTEL, 0x19e2, 0x19e3, 16, 16, 1, GEN2_VECTORS(16) },
	{ "200xx",    INTEL, 0x18ee, 0x18ef, 16, 16, 1, GEN2_VECTORS(16) },
	{ "d15xx",    INTEL, 0x6f54, 0x6f55, 16, 16, 1, GEN2_VECTORS(16) },
	/*
	 * gen 3. The PF geometry is the driver's (128 banks of 8 rings); the
	 * VF's header is not public, so one bank is assumed as for every
	 * other QAT 1.x VF. A config's MaxProcesses overrides it.
	 */
	{ "c4xxx",    INTEL, 0x18a0, 0x18a1, 128, 8, 1, GEN2_VECTORS(128) },
	/* gen 4 */
	{ "4xxx",     INTEL, 0x4940, 0x4941, 64, 2, 4, GEN2_VECTORS(64) },
	{ "401xx",    INTEL, 0x4942, 0x4943, 64, 2, 4, GEN2_VECTORS(64) },
	{ "402xx",    INTEL, 0x4944, 0x4945, 64, 2, 4, GEN2_VECTORS(64) },
	{ "420xx",    INTEL, 0x4946, 0x4947, 64, 2, 4, GEN2_VECTORS(64) },
	/* gen 6 */
	{ "6xxx",     INTEL, 0x4948, 0x4949, 64, 2, 4, GEN2_VECTORS(64) },
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

const struct qat_devtype *qat_devtype_at(unsigned int i)
{
	return i < QAT_ARRAY_SIZE(qat_devtypes) ? &qat_devtypes[i] : NULL;
}

unsigned int qat_devtype_max_processes(const struct qat_devtype *t, int is_vf)
{
	return (is_vf ? t->vf_banks : t->banks) * (t->rings_per_bank / 2);
}
