import t from 'tap';
import { isHmmPath } from '../../src/series/hmm-areas.js';

t.test('the HMM files of the issue, and nothing else', async (t) => {
  for (const p of [
    'mm/hmm.c',
    'mm/migrate_device.c',
    'mm/memremap.c',
    'include/linux/hmm.h',
    'include/linux/migrate.h',
    'include/linux/memremap.h',
    'lib/test_hmm.c',
    'lib/test_hmm_uapi.h',
    'tools/testing/selftests/mm/hmm-tests.c',
  ]) {
    t.ok(isHmmPath(p), p);
  }
  for (const p of [
    'mm/mmap.c',
    'Documentation/mm/hmm.rst',
    'lib/test_hmm/../x',
    'mm/hmm.c.orig',
    'drivers/gpu/drm/nouveau/nouveau_dmem.c',
  ]) {
    t.notOk(isHmmPath(p), p);
  }
});
