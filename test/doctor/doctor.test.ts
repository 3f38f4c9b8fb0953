import t from 'tap';
import { renderDoctor, runDoctor, type DoctorProbe } from '../../src/doctor/doctor.js';
import { TOOLS } from '../../src/common/tools.js';

const everything: DoctorProbe = {
  which: (b) => `/usr/bin/${b}`,
  exists: () => true,
  nodeVersion: '20.20.2',
  tarball: '/usr/src/linux-source-6.12.tar.xz',
  freeBytes: 70 * 1024 ** 3,
  cacheRoot: '/home/dev/.cache/hmmci',
};

t.test('a complete machine passes', async (t) => {
  const r = runDoctor(everything);
  t.ok(r.ok);
  t.same(r.missingPackages, []);
  t.equal(r.installCommand, undefined);
  t.equal(r.checks.filter((c) => c.name in { git: 1, make: 1, gcc: 1 }).length, 3);
  t.match(renderDoctor(r), /Everything hmmci needs is installed/);
});

t.test('missing tools, headers and the tarball: one apt-get command with their packages', async (t) => {
  const r = runDoctor({
    ...everything,
    which: (b) => (['flex', 'qemu-system-x86_64', 'vng', 'ccache'].includes(b) ? undefined : `/usr/bin/${b}`),
    exists: (p) => p !== '/usr/include/libelf.h' && p !== everything.tarball,
  });
  t.notOk(r.ok);
  t.same([...r.missingRequired].sort(), ['flex', 'libelf-dev', 'linux-source-6.12', 'qemu-system-x86'].sort());
  t.equal(r.installCommand, `sudo apt-get install -y ${r.missingRequired.join(' ')}`);
  t.ok(r.missingPackages.includes('ccache'), 'optional apt packages listed too');
  t.notOk(r.missingPackages.includes('virtme-ng'), 'not in Debian 12: no apt-get line for it');
  t.match(
    r.checks.find((c) => c.name === 'vng')!.detail,
    /not packaged in Debian 12.*github\.com\/arighi\/virtme-ng.*python3-argcomplete python3-requests.*\/usr\/bin\/python3 <checkout>\/vng/,
  );
  t.notOk(r.missingRequired.includes('ccache'), 'but not required');
  const text = renderDoctor(r);
  t.match(text, /MISS\s+flex/);
  t.match(text, /opt\s+ccache/);
  t.match(text, /Install what is missing with:\n  sudo apt-get install -y/);
  t.match(text, /linux-source-6\.12\.tar\.xz missing/);
  const asRoot = runDoctor({ ...everything, root: true, which: (b) => (b === 'flex' ? undefined : `/usr/bin/${b}`) });
  t.equal(asRoot.installCommand, 'apt-get install -y flex', 'root (a fresh Debian has no sudo): no sudo prefix');
  t.match(
    renderDoctor(asRoot),
    /All packages at once: apt-get install -y qemu-system-x86 .* \(or: bash tools\/setup\.sh\)/,
  );
});

t.test('a vng on PATH must run: its version, or why it does not and how to fix it', async (t) => {
  const asked: string[] = [];
  const works = runDoctor({ ...everything, version: (b) => (asked.push(b), { version: 'virtme-ng 1.41' }) });
  t.same(asked, ['vng'], 'only vng is run');
  t.match(
    works.checks.find((c) => c.name === 'vng'),
    { ok: true, detail: '/usr/bin/vng (virtme-ng 1.41)' },
  );
  const broken = runDoctor({
    ...everything,
    version: () => ({ error: "ModuleNotFoundError: No module named 'argcomplete'" }),
  });
  const vng = broken.checks.find((c) => c.name === 'vng')!;
  t.notOk(vng.ok);
  t.notOk(vng.required, 'optional: doctor still passes');
  t.ok(broken.ok);
  t.match(vng.detail, /does not run .*argcomplete.*\/usr\/bin\/python3/);
  t.match(renderDoctor(broken), /opt\s+vng/);
});

t.test('old node and a nearly full disk are reported', async (t) => {
  const r = runDoctor({ ...everything, nodeVersion: '18.19.0', freeBytes: 2 * 1024 ** 3 });
  t.notOk(r.ok, 'node 18 is not enough');
  t.match(r.checks.find((c) => c.name === 'node')!.detail, /needs Node\.js 20/);
  const disk = r.checks.find((c) => c.name === 'disk space')!;
  t.notOk(disk.ok);
  t.notOk(disk.required, 'a warning, not a failure');
});

t.test('every tool in the table is checked', async (t) => {
  const names = runDoctor(everything).checks.map((c) => c.name);
  for (const tool of TOOLS) t.ok(names.includes(tool.bin), tool.bin);
});
