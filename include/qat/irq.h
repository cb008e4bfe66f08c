/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupts with the semantics of Linux VFIO_DEVICE_SET_IRQS, and a
 * dispatcher that calls application callbacks on a library thread.
 *
 * Two ways to receive interrupts; pick one per index:
 *
 *  - Dispatcher: qat_irq_handler_add(). The library creates its own
 *    eventfds, binds them, and calls the callbacks on one thread per
 *    device (epoll), pinned to the CPUs of the device's NUMA node.
 *
 *  - Own loop: qat_irq_bind() with eventfds the application created and
 *    polls itself. The library (or the kernel) keeps its own reference to
 *    each fd, so the application may close its copy at any time. INTx
 *    masks itself on every interrupt: re-enable it with
 *    QAT_IRQ_ACTION_UNMASK, preferably once through an unmask eventfd
 *    (qat_irq_set(dev, QAT_IRQ_INTX, QAT_IRQ_ACTION_UNMASK,
 *    QAT_IRQ_DATA_EVENTFD, 0, 1, &ufd)) and then by writing 1 to ufd, so
 *    that no SET_IRQS call happens per interrupt.
 *
 * An index bound by one way is -EBUSY to the other until it is unbound
 * (own loop) or its last handler is removed (dispatcher).
 *
 * All functions are thread-safe and may be called from a callback.
 */
#ifndef QAT_IRQ_H
#define QAT_IRQ_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Interrupt indexes, numbered as VFIO numbers them. */
enum qat_irq_index {
	QAT_IRQ_INTX = 0,
	QAT_IRQ_MSI = 1,
	QAT_IRQ_MSIX = 2,
	QAT_IRQ_ERR = 3,
	QAT_IRQ_REQ = 4,
	QAT_IRQ_NUM_INDEXES = 5,
};

/* qat_irq_info.flags, as VFIO_IRQ_INFO_* */
#define QAT_IRQ_INFO_EVENTFD    (1u << 0)
#define QAT_IRQ_INFO_MASKABLE   (1u << 1)
#define QAT_IRQ_INFO_AUTOMASKED (1u << 2)
#define QAT_IRQ_INFO_NORESIZE   (1u << 3)

struct qat_irq_info {
	uint32_t flags;
	uint32_t count;  /* vectors at this index; 0 when not supported */
};

/* Actions and data types for qat_irq_set(), as VFIO_IRQ_SET_* */
#define QAT_IRQ_DATA_NONE     (1u << 0)
#define QAT_IRQ_DATA_BOOL     (1u << 1)
#define QAT_IRQ_DATA_EVENTFD  (1u << 2)
#define QAT_IRQ_ACTION_MASK    (1u << 3)
#define QAT_IRQ_ACTION_UNMASK  (1u << 4)
#define QAT_IRQ_ACTION_TRIGGER (1u << 5)

/*
 * A dispatcher callback: runs on the device's interrupt thread, once per
 * wake-up of the vector (interrupts that arrive before the thread reads
 * the eventfd coalesce into one call, as with any eventfd). It may call
 * any libqatrt function except qat_rt_close(), including adding and
 * removing handlers (itself too).
 */
typedef void (*qat_irq_cb)(struct qat_dev *dev, unsigned int index,
			   unsigned int vector, void *arg);

/*
 * Vector count and QAT_IRQ_INFO_* flags of `index`.
 * Returns 0; -EINVAL for NULL arguments, an unknown index, or an index
 * the device lacks entirely (ERR on a device that is not PCIe);
 * -ENOTSUP when the backend has no interrupts.
 */
QAT_API int qat_irq_info(struct qat_dev *dev, unsigned int index,
			 struct qat_irq_info *info);

/*
 * VFIO_DEVICE_SET_IRQS: one QAT_IRQ_ACTION_* and one QAT_IRQ_DATA_* on
 * vectors [start, start + count) of `index`. `data` holds `count` uint8_t
 * (DATA_BOOL) or `count` int32_t eventfds (DATA_EVENTFD, -1 releases that
 * vector); it may be NULL for DATA_NONE. A negative fd below -1 is what
 * the kernel makes of it: on INTx, MSI and MSI-X it releases the vector
 * as -1 does (a first bind with one enables the index with nothing
 * signalled); on ERR and REQ it changes nothing. Both return 0. Eventfds are referenced, not
 * borrowed: the caller may close its own fd afterwards.
 *
 * Returns 0, or a positive number when MSI/MSI-X could not be enabled
 * with start + count vectors: the number the platform can give (nothing
 * was enabled; retry with at most that many). Errors:
 *   -EINVAL  unknown flag bits, not exactly one data type, start + count
 *            overflowing or past the index's vector count, NULL data with
 *            count > 0, switching interrupt type without disabling the
 *            enabled one first, loopback (DATA_NONE/DATA_BOOL) on an index
 *            that is not enabled, INTx with count other than 1, an fd that
 *            is not an eventfd, an eventfd for an MSI/MSI-X vector past
 *            those the first bind enabled (see "Differences" below)
 *   -ENOTTY  no action bit, or more than one; an action the index does
 *            not support (MASK/UNMASK on MSI, MSI-X, ERR, REQ; MASK with
 *            DATA_EVENTFD on INTx)
 *   -ERANGE  DATA_EVENTFD with start + count = 0 on MSI/MSI-X that is not
 *            enabled (a first enable of zero vectors)
 *   -EBADF   a bad eventfd
 *   -EBUSY   the dispatcher owns this index; or an INTx unmask eventfd
 *            is already set
 *   -ENOTSUP the backend has no interrupts
 * A block of eventfds that fails part-way releases the vectors it had
 * reached, as the kernel does; on a first enable nothing stays enabled.
 *
 * Count 0, as vfio-pci answers it: TRIGGER | DATA_NONE disables the
 * enabled index (MSI, MSI-X, INTx) or releases the ERR/REQ eventfd, and is
 * -EINVAL when there is nothing to disable. On an enabled MSI/MSI-X index
 * DATA_BOOL and DATA_EVENTFD with count 0 change nothing and return 0
 * (data may be NULL); on INTx, ERR and REQ they are -EINVAL.
 *
 * Loopback (TRIGGER with DATA_NONE, or DATA_BOOL with 1s) on MSI/MSI-X
 * signals the eventfd of each vector in range that has one and skips the
 * others, including vectors past those enabled: the bound is the index's
 * vector count (qat_irq_info()), as in vfio_pci_set_msi_trigger() since
 * Linux 6.5 (older kernels said -EINVAL past the enabled vectors).
 *
 * Differences from vfio-pci, and why:
 *   - NULL data with count > 0 is -EINVAL; the kernel's copy from user
 *     memory says -EFAULT. A NULL argument is -EINVAL in every libqatrt
 *     function.
 *   - The simulated device has no dynamic MSI-X: an eventfd for a vector
 *     past those the first bind enabled is -EINVAL, as on kernels before
 *     6.5 or platforms where pci_msix_can_alloc_dyn() is false; a kernel
 *     with dynamic MSI-X allocates the vector and returns 0. The model's
 *     vector budget (SimMsixAlloc) is fixed when the index is enabled, so
 *     that tests of the short-allocation path stay exact. Portable code
 *     enables every vector it needs in its first bind, which the
 *     dispatcher does.
 */
QAT_API int qat_irq_set(struct qat_dev *dev, unsigned int index,
			uint32_t action, uint32_t data_type,
			unsigned int start, unsigned int count,
			const void *data);

/*
 * Bind eventfds to vectors [start, start + count) of `index`
 * (TRIGGER | DATA_EVENTFD); fds[i] = -1 releases vector start + i.
 * The first bind enables the index. Returns as qat_irq_set().
 */
QAT_API int qat_irq_bind(struct qat_dev *dev, unsigned int index,
			 unsigned int start, unsigned int count,
			 const int *fds);

/*
 * Disable `index` and release every eventfd bound to it (TRIGGER |
 * DATA_NONE, count 0). Returns 0, or -EINVAL when the index is not
 * enabled (nothing bound on ERR/REQ), -EBUSY when the dispatcher owns it.
 */
QAT_API int qat_irq_unbind(struct qat_dev *dev, unsigned int index);

/*
 * Call cb(dev, index, vector, arg) on the device's interrupt thread when
 * that vector fires. The first handler of an index enables it (MSI/MSI-X:
 * all vectors at once, so later handlers do not re-enable); INTx is
 * unmasked after each round of callbacks. Several handlers per vector
 * run in the order added.
 * Returns 0; -EINVAL for bad arguments or a vector past the index's
 * count; -EEXIST for the same (cb, arg) on that vector; -EBUSY when the
 * application bound the index itself; -ENOSPC when the platform could not
 * enable that many MSI/MSI-X vectors; -EBADF in a forked child whose
 * parent had started the device's dispatcher (the child shares the
 * device's bindings and has no dispatcher thread: open a runtime of its
 * own for its own devices); -ENOMEM; or a backend error.
 */
QAT_API int qat_irq_handler_add(struct qat_dev *dev, unsigned int index,
				unsigned int vector, qat_irq_cb cb,
				void *arg);

/*
 * Remove the handler added with the same (index, vector, cb, arg). On
 * return the callback is not running (unless the caller is that callback)
 * and will not be called again. The last handler of a vector releases it;
 * the last of an index disables the index.
 * Returns 0, -EINVAL for bad arguments, -ENOENT when no such handler,
 * -EBADF in a forked child (see qat_irq_handler_add()). In such a child
 * qat_rt_close() frees its copies and leaves the parent's bindings alone.
 */
QAT_API int qat_irq_handler_remove(struct qat_dev *dev, unsigned int index,
				   unsigned int vector, qat_irq_cb cb,
				   void *arg);

#ifdef __cplusplus
}
#endif

#endif /* QAT_IRQ_H */
