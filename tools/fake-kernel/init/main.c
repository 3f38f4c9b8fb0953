// SPDX-License-Identifier: GPL-2.0
#include <linux/hmm.h>

int main(void)
{
	struct hmm_range r = { .start = 0, .end = 4096, .hmm_pfns = 0 };

	return hmm_range_fault(&r) + migrate_vma_setup(0, 4096);
}
