import t from 'tap';
import { visible, visibleLine } from '../../src/series/visible.js';

t.test('C0/C1 controls and DEL made visible; tab, newline and other text kept', async (t) => {
  t.equal(visible('a\x1b[2Jb\x07c\x9bd\x7fe\tf\ng é'), 'a\\x1b[2Jb\\x07c\\x9bd\\x7fe\tf\ng é');
  t.equal(visibleLine('one\ntwo\tthree\r'), 'one\\ntwo\\tthree\\x0d');
});
