import t from 'tap';
import { parseKconfig } from '../../src/kconfig/kconfig-parse.js';

t.test('source directives: plain sources are from the top, rsource from the file, o* optional', async (t) => {
  const p = parseKconfig(
    'source "init/Kconfig"\nrsource "sub/Kconfig"\nosource "opt/Kconfig"\norsource "x/Kconfig"\nsource "arch/$(SRCARCH)/Kconfig"\n',
    'Kconfig',
  );
  t.same(
    p.sources.map((s) => [s.path, s.relative, s.optional]),
    [
      ['init/Kconfig', false, false],
      ['sub/Kconfig', true, false],
      ['opt/Kconfig', false, true],
      ['x/Kconfig', true, true],
      ['arch/$(SRCARCH)/Kconfig', false, false],
    ],
  );
});

t.test('conditions in force at a source line are inherited by the sourced file', async (t) => {
  const p = parseKconfig(
    'menu "Net"\n\tdepends on NET\nif INET\nsource "net/ipv4/Kconfig"\nendif\nendmenu\nsource "fs/Kconfig"\n',
    'net/Kconfig',
  );
  t.same(
    p.sources.map((s) => s.depends),
    [['NET', 'INET'], []],
  );
});

t.test('help text ends at the first less-indented line; prompts with if; def_bool; multi-line depends', async (t) => {
  const p = parseKconfig(
    [
      'config A',
      '\tbool "A" if EXPERT',
      '\thelp',
      '\t  config NOT_A_SYMBOL in help text',
      '',
      '\t  more help',
      'config B',
      '\tdef_bool y if A',
      '\tdepends on X86_64 && \\',
      '\t\t  (PCI || ACPI)',
    ].join('\n'),
    'k',
  );
  t.same(
    p.defs.map((d) => d.name),
    ['A', 'B'],
  );
  t.equal(p.defs[0]!.promptIf, 'EXPERT');
  t.same(p.defs[1]!.defaults, [{ value: 'y', cond: 'A' }]);
  t.match(p.defs[1]!.depends[0], /X86_64 &&\s+\(PCI \|\| ACPI\)/);
});
