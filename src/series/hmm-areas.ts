import picomatch from 'picomatch';

/** The files hmmci exists for (issue 3): a series touching none of them gets a warning. */
export const HMM_AREAS: readonly string[] = [
  'mm/hmm.c',
  'mm/migrate_device.c',
  'mm/memremap.c',
  'include/linux/hmm.h',
  'include/linux/migrate.h',
  'include/linux/memremap.h',
  'lib/test_hmm*',
  'tools/testing/selftests/mm/hmm-tests.c',
];

const matchers = HMM_AREAS.map((g) => picomatch(g, { dot: true }));

export function isHmmPath(path: string): boolean {
  return matchers.some((m) => m(path));
}
