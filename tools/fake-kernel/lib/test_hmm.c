// SPDX-License-Identifier: GPL-2.0
/* Fake lib/test_hmm.c, built as a "module" when CONFIG_TEST_HMM=m. */
#include <linux/hmm.h>

int dmirror_fault(unsigned long start, unsigned long end)
{
	struct hmm_range range = { .start = start, .end = end, .hmm_pfns = 0 };

	return hmm_range_fault(&range);
}
