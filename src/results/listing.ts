/**
 * Parse the case listing that kselftest_harness.h prints for `-l` (test_harness_list_tests):
 *
 *   # FIXTURE            VARIANT                   TEST
 *   global
 *   ------------------------------------------------------------------------
 *   hmm                  hmm_device_private        open_close
 *                        hmm_device_coherent       anon_read
 *
 * Columns are printf("%-20s %-25s %s"). Each fixture block lists its variants and its tests side
 * by side; the cases are fixture x variant x test, in the order the harness runs them, named as
 * the harness prints them in `#  RUN` lines: `fixture.variant.test` (or `fixture.test`).
 */
export function parseListing(text: string): string[] {
  const names: string[] = [];
  let block: { fixture: string; variants: string[]; tests: string[] } | undefined;
  const flush = () => {
    if (!block) return;
    const variants = block.variants.length ? block.variants : [''];
    for (const v of variants)
      for (const t of block.tests) names.push(v ? `${block.fixture}.${v}.${t}` : `${block.fixture}.${t}`);
    block = undefined;
  };
  let seenHeader = false;
  // A kernel message printed in the middle of a row ("<spaces>[    3.05] tsc: …" then the rest of
  // the row on the next line) splits the row: keep what came before the message and put it back
  // in front of the next line, so the rest of the row keeps its column.
  let carry = '';
  for (const raw of text.split(/\r?\n/)) {
    const kmsg = /\[\s*\d+\.\d+\](?:\[\s*[TC]\d+\])? /.exec(raw);
    if (kmsg && seenHeader) {
      carry += raw.slice(0, kmsg.index);
      continue;
    }
    const line = (carry + raw).replace(/\s+$/, '');
    carry = '';
    if (/^# FIXTURE\s+VARIANT\s+TEST$/.test(line)) {
      seenHeader = true;
      continue;
    }
    if (!seenHeader) continue;
    if (/^-{20,}$/.test(line)) {
      flush();
      continue;
    }
    if (!line.trim()) continue;
    // printf("%-20s %-25s %s"): fixture, variant and test are C identifiers in fixed columns
    // (a longer name pushes the next ones right). Anything else (a kernel message printed into
    // the listing) is not a row.
    const tokens = [...line.matchAll(/\S+/g)];
    if (tokens.length > 3 || !tokens.every((t) => /^[A-Za-z_]\w*$/.test(t[0]))) continue;
    const cols = ['', '', ''];
    let slot = 0;
    for (const t of tokens) {
      const start = t.index ?? 0;
      const natural = start < 21 ? 0 : start < 47 ? 1 : 2;
      slot = Math.max(natural, slot);
      if (slot > 2) break;
      cols[slot] = t[0];
      slot++;
    }
    const [fixture = '', variant = '', test = ''] = cols;
    if (fixture) {
      flush();
      block = { fixture, variants: [], tests: [] };
    }
    if (!block) continue;
    if (variant) block.variants.push(variant);
    if (test) block.tests.push(test);
  }
  flush();
  return names;
}
