// SPDX-License-Identifier: GPL-2.0
#include <linux/hmm.h>

int migrate_vma_setup(unsigned long start, unsigned long end)
{
	return start < end ? 0 : -22;
}
