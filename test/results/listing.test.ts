import t from 'tap';
import { parseListing } from '../../src/results/listing.js';
import { log } from './fixtures.js';

t.test('the -l listing printed in a real guest names all 58 cases in run order', async (t) => {
  const text = log('clean-58-pass.log');
  const listing = text.slice(text.indexOf('HMMCI-LIST-BEGIN'), text.indexOf('HMMCI-LIST-END'));
  const names = parseListing(listing);
  t.equal(names.length, 58);
  t.equal(names[0], 'hmm.hmm_device_private.open_close');
  t.equal(names[26], 'hmm.hmm_device_coherent.open_close');
  t.equal(names[57], 'hmm2.hmm2_device_coherent.double_map');
  t.equal(names.filter((n) => n.includes('device_coherent')).length, 29);
  // The run order of the TAP stream is the listing's order.
  const ran = [...text.matchAll(/^ok \d+ (\S+)/gm)].map((m) => m[1]);
  t.same(ran, names);
});

t.test('kernel messages printed into the listing are not rows; no-variant fixtures are fixture.test', async (t) => {
  const text = [
    '# FIXTURE            VARIANT                   TEST',
    'global                                         ',
    'clocksource: Switched to clocksource tsc',
    '--------------------------------------------------------------------------------',
    'plain                                          one',
    '                                               two',
    '--------------------------------------------------------------------------------',
    'a_fixture_name_longer_than_twenty v1 t1',
    '                     v2                        t2',
  ].join('\n');
  t.same(parseListing(text), [
    'plain.one',
    'plain.two',
    'a_fixture_name_longer_than_twenty.v1.t1',
    'a_fixture_name_longer_than_twenty.v1.t2',
    'a_fixture_name_longer_than_twenty.v2.t1',
    'a_fixture_name_longer_than_twenty.v2.t2',
  ]);
  t.same(parseListing('no listing here'), []);
});

t.test('a kernel message printed in the middle of a listing row does not invent cases (real capture)', async (t) => {
  // Captured on this machine: "tsc: Refined TSC clocksource calibration" landed 30 columns into the
  // migrate_shared row, and the rest of the row ("                 migrate_shared") came on the next line.
  const text = log('listing-split-by-kernel-message.log');
  const listing = text.slice(text.indexOf('HMMCI-LIST-BEGIN'), text.indexOf('HMMCI-LIST-END'));
  t.match(listing, /^\s+\[\s+3\.059225\] tsc: Refined TSC/m);
  const names = parseListing(listing);
  t.equal(names.length, 58);
  t.notOk(
    names.some((n) => n.startsWith('migrate_shared.')),
    'no fixture named after a split row',
  );
  t.equal(names[15], 'hmm.hmm_device_private.migrate_shared');
  t.equal(names[20], 'hmm.hmm_device_private.compound');
  const ran = [...text.matchAll(/^ok \d+ (\S+)/gm)].map((m) => m[1]);
  t.same(ran, names, 'the listing order is the run order');
});
