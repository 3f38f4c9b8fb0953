// SPDX-License-Identifier: GPL-2.0
/* Fake mm/hmm.c: FAKE_KERNEL_FAIL=compile, link or warning break it on purpose. */
#include <linux/hmm.h>

int hmm_range_fault(struct hmm_range *range)
{
#ifdef FAKE_BREAK_COMPILE
	unsigned long npages = range->end - range->start
	return npages;
#endif
#ifdef FAKE_WARN
	int unused_pfn;
#endif
#ifdef FAKE_BREAK_LINK
	extern int hmm_vma_walk_missing(void);
	return hmm_vma_walk_missing();
#endif
	if (range->end <= range->start)
		return -22;
	return 0;
}
