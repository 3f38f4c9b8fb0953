import t from 'tap';
import { goneEvents, newEvents } from '../../src/compare/compare.js';
import { result } from './fixtures.js';

const OOPS_KEY = 'oops:migrate_vma_collect_pmd';

t.test('newEvents: an event only the patched side shows, confirmed when every run shows it', async (t) => {
  const base = result('baseline-58-pass');
  const oops = result('patched-oops-in-migrate-vma-collect-pmd');
  const once = newEvents(base, [oops, base]);
  t.same(
    once.map((e) => [e.kind, e.key, e.test, e.function, e.seenIn, e.runsTotal, e.confirmed]),
    [['oops', OOPS_KEY, 'hmm.hmm_device_private.migrate_fault', 'migrate_vma_collect_pmd', 1, 2, false]],
  );
  const twice = newEvents(base, [oops, oops]);
  t.same(
    twice.map((e) => [e.key, e.seenIn, e.confirmed]),
    [[OOPS_KEY, 2, true]],
  );
  t.same(newEvents(oops, [oops]), [], 'an event the baseline shows too is not new');
});

t.test('goneEvents: a baseline event no patched run shows, once per key', async (t) => {
  const base = result('baseline-58-pass');
  const oops = result('patched-oops-in-migrate-vma-collect-pmd');
  const doubled = { ...oops, events: [...oops.events, ...oops.events] };
  t.same(
    goneEvents(doubled, [base]).map((e) => [e.kind, e.key, e.function]),
    [['oops', OOPS_KEY, 'migrate_vma_collect_pmd']],
  );
  t.same(goneEvents(oops, [base, oops]), [], 'shown by one patched run: not gone');
});
