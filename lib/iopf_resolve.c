/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The default fault handler: resolve a fault in this process's address
 * space, as the kernel's SVA handler does in the mm of the PASID (check
 * the VMA's permissions, then fault the page in), from user space: the
 * mapping comes from /proc/self/maps and the page is made present with
 * MADV_POPULATE_READ/WRITE (Linux 5.14).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>

#include "iopf_priv.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* Longer than any line: a path is at most PATH_MAX. */
#define MAPS_BUF 16384

enum { LINE_BEFORE, LINE_FOUND, LINE_PAST };

/* One "start-end perms ..." line: where addr lies relative to it. */
static int maps_line(const char *line, uint64_t addr, struct iopf_vma *vma)
{
	char *end;
	uint64_t lo = strtoull(line, &end, 16), hi;

	if (*end != '-')
		return LINE_BEFORE;
	hi = strtoull(end + 1, &end, 16);
	if (*end != ' ' || strlen(end) < 5)
		return LINE_BEFORE;
	if (addr < lo)
		return LINE_PAST; /* the file is sorted: no mapping holds it */
	if (addr >= hi)
		return LINE_BEFORE;
	vma->start = lo;
	vma->end = hi;
	vma->perm = (end[1] == 'r' ? QAT_IOPF_PERM_READ : 0) |
		    (end[2] == 'w' ? QAT_IOPF_PERM_WRITE : 0) |
		    (end[3] == 'x' ? QAT_IOPF_PERM_EXEC : 0);
	return LINE_FOUND;
}

/* Scan the complete lines in buf[0..*len); keep the unfinished one. */
static int maps_chunk(char *buf, size_t *len, bool *skip, uint64_t addr,
		      struct iopf_vma *vma)
{
	char *line = buf, *nl;
	int r = LINE_BEFORE;

	while (r == LINE_BEFORE &&
	       (nl = memchr(line, '\n', (size_t)(buf + *len - line)))) {
		*nl = '\0';
		if (!*skip)
			r = maps_line(line, addr, vma);
		*skip = false;
		line = nl + 1;
	}
	*len = (size_t)(buf + *len - line);
	memmove(buf, line, *len);
	if (*len == MAPS_BUF - 1) { /* no room: drop the rest of this line */
		*len = 0;
		*skip = true;
	}
	return r;
}

static bool vma_find(uint64_t addr, struct iopf_vma *vma)
{
	char *buf = malloc(MAPS_BUF);
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	int r = LINE_BEFORE;
	bool skip = false;
	size_t len = 0;
	ssize_t n;

	while (buf && fd >= 0 && r == LINE_BEFORE) {
		n = read(fd, buf + len, MAPS_BUF - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		r = maps_chunk(buf, &len, &skip, addr, vma);
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return r == LINE_FOUND;
}

int qat_iopf_resolve_cached(const struct qat_iopf_fault *f,
			    struct iopf_vma *cache)
{
	static long page_size;
	unsigned int need = f->perm & (QAT_IOPF_PERM_READ | QAT_IOPF_PERM_WRITE |
				       QAT_IOPF_PERM_EXEC);
	long psz = __atomic_load_n(&page_size, __ATOMIC_RELAXED);
	uint64_t page;

	if (!psz) {
		psz = sysconf(_SC_PAGESIZE);
		__atomic_store_n(&page_size, psz, __ATOMIC_RELAXED);
	}
	page = f->addr & ~(uint64_t)(psz - 1);
	if (!need)
		return QAT_IOPF_INVALID;
	/*
	 * Reading the maps costs tens of microseconds, more than the
	 * populate. A worker remembers the last mapping it found, but only
	 * to say yes to reads and writes, which the kernel checks again
	 * when it populates (a mapping gone or made read-only since then
	 * fails madvise). It does not check exec: exec is always looked up
	 * afresh, and so is anything the memory would refuse.
	 */
	if (need & QAT_IOPF_PERM_EXEC ||
	    !(cache->end && page >= cache->start && page < cache->end &&
	      (cache->perm & need) == need)) {
		if (!vma_find(f->addr, cache)) {
			cache->end = 0;
			return QAT_IOPF_INVALID;
		}
	}
	if ((cache->perm & need) != need)
		return QAT_IOPF_INVALID;
	if (madvise((void *)(uintptr_t)page, (size_t)psz,
		    need & QAT_IOPF_PERM_WRITE ? MADV_POPULATE_WRITE :
						 MADV_POPULATE_READ))
		return QAT_IOPF_INVALID;
	return QAT_IOPF_SUCCESS;
}

QAT_API int qat_iopf_resolve(const struct qat_iopf_fault *fault)
{
	struct iopf_vma cache = { 0 };

	if (!fault)
		return QAT_IOPF_INVALID;
	return qat_iopf_resolve_cached(fault, &cache);
}
