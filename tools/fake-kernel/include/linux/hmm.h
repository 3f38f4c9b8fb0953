/* SPDX-License-Identifier: GPL-2.0 */
/* Fake kernel tree for hmmci's unit tests: a few real C files compiled with gcc. */
#ifndef _LINUX_HMM_H
#define _LINUX_HMM_H
struct hmm_range {
	unsigned long start;
	unsigned long end;
	unsigned long *hmm_pfns;
};
int hmm_range_fault(struct hmm_range *range);
int migrate_vma_setup(unsigned long start, unsigned long end);
#endif
