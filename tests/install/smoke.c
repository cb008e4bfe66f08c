/* Built by tests/check-install.sh against an installed tree. */
#include <stdio.h>
#include <qat/qatrt.h>

int main(int argc, char **argv)
{
	struct qat_rt_opts o = { .sz = sizeof(o), .flags = QAT_RT_NO_PCI };
	struct qat_dev_info info;
	struct qat_dev *dev;
	struct qat_rt *rt;
	int ret;

	o.config_path = argc > 1 ? argv[1] : NULL;
	ret = qat_rt_open(&o, &rt);
	if (ret) {
		fprintf(stderr, "qat_rt_open: %s\n", qat_strerror(ret));
		return 1;
	}
	if (qat_dev_count(rt) < 1 || qat_dev_get(rt, 0, &dev) ||
	    qat_dev_info(dev, &info)) {
		fprintf(stderr, "no device\n");
		qat_rt_close(rt);
		return 1;
	}
	printf("%s %s %04x:%04x\n", info.pci_addr, info.type, info.vendor_id,
	       info.device_id);
	qat_rt_close(rt);
	return 0;
}
