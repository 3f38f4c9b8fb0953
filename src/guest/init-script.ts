import { SENTINEL } from '../results/sentinels.js';

export interface InitOptions {
  /** Module parameters for test_hmm (spm_addr_dev0=… spm_addr_dev1=…); empty = no coherent devices. */
  testHmmParams: readonly string[];
  /** Huge pages reserved before the run (hugetlbfs tests). */
  hugepages: number;
  /** Arguments passed to hmm-tests (e.g. `-t anon_read`); empty runs everything. */
  testArgs?: readonly string[];
}

function shellWord(s: string): string {
  if (/^[A-Za-z0-9_.,:=/+-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface RunScriptOptions extends InitOptions {
  /** Where hmm-tests and test_hmm.ko are inside the guest. */
  hmmTests: string;
  testHmmKo: string;
  /**
   * `initramfs`: we are PID 1 in our own initramfs (mount everything, power off at the end).
   * `vng`: virtme-ng's init already mounted proc/sys/devtmpfs and the host's root (read-only);
   * only the rest is prepared, all output goes to the serial console (where the kernel's
   * messages are, so an oops lands between the right test lines), the script exits with
   * hmm-tests' status (vng returns it), and vng ends the guest when the script returns.
   */
  mode: 'initramfs' | 'vng';
}

/**
 * virtme-init passes the script's status to vng through the `virtme.ret` virtio-serial port,
 * which it finds as /dev/virtio-ports/virtme.ret, a link the host's udevd makes. A host without
 * udev (Debian's `udev` package is not installed on servers and CI machines) has no link: vng
 * then runs the script on the console and exits 255. The port is there all the same: find it by
 * its sysfs name and write the status ourselves, once.
 */
const VNG_RETURN_STATUS = [
  'if [ ! -e /dev/virtio-ports/virtme.ret ]; then',
  '  for p in /sys/class/virtio-ports/*; do',
  '    [ "$(cat "$p/name" 2>/dev/null)" = virtme.ret ] && echo "$status" > "/dev/${p##*/}"',
  '  done',
  'fi',
  'exit "$status"',
];

/**
 * The script that prepares what hmm-tests needs (debugfs, hugetlbfs, huge pages, a tmpfs scratch
 * directory, /dev/stdout & co for run_kselftest.sh-style output), loads test_hmm, prints the case
 * listing and sentinel lines around the run. Pure: the same options give the same bytes (the
 * initramfs cache key depends on it).
 */
export function renderRunScript(opts: RunScriptOptions): string {
  const params = opts.testHmmParams.map(shellWord).join(' ');
  const args = (opts.testArgs ?? []).map(shellWord).join(' ');
  const bin = shellWord(opts.hmmTests);
  const ko = shellWord(opts.testHmmKo);
  const pid1 = opts.mode === 'initramfs';
  // Under vng /tmp is the host's, read-only: a tmpfs goes over it.
  const scratch = '/tmp';
  const lines = pid1
    ? [
        '#!/bin/busybox sh',
        '# hmmci guest init: run hmm-tests once, print sentinels, end by rebooting (QEMU runs with -no-reboot and exits).',
        '/bin/busybox mkdir -p /bin /sbin /proc /sys /dev /tmp',
        '/bin/busybox --install -s /bin',
        'export PATH=/bin:/sbin',
        'mount -t proc proc /proc',
        'mount -t sysfs sysfs /sys',
        'mount -t devtmpfs devtmpfs /dev 2>/dev/null',
      ]
    : [
        '# hmmci under virtme-ng: run hmm-tests once, print sentinels, exit with its status.',
        'exec </dev/null >/dev/console 2>&1',
        'set +e',
      ];
  lines.push(
    "grep -q ' /sys/kernel/debug ' /proc/mounts || mount -t debugfs debugfs /sys/kernel/debug",
    'mkdir -p /dev/hugepages && mount -t hugetlbfs hugetlbfs /dev/hugepages',
    `mkdir -p ${scratch} && mount -t tmpfs -o size=256m tmpfs ${scratch}`,
    '[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd',
    '[ -e /dev/stdin ] || ln -s /proc/self/fd/0 /dev/stdin',
    '[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout',
    '[ -e /dev/stderr ] || ln -s /proc/self/fd/2 /dev/stderr',
    `echo ${opts.hugepages} > /proc/sys/vm/nr_hugepages`,
    `echo "${SENTINEL.info} kernel=$(uname -r) nr_hugepages=$(cat /proc/sys/vm/nr_hugepages) ${params ? params.replace(/'/g, '') : 'coherent=none'}"`,
    `if ! insmod ${ko}${params ? ` ${params}` : ''}; then`,
    `  echo "${SENTINEL.error} insmod test_hmm failed"`,
    'fi',
    `echo "${SENTINEL.info} devices=$(ls /dev | grep -c '^hmm_dmirror')"`,
    `echo "${SENTINEL.listBegin}"`,
    `${bin} -l 2>&1`,
    `echo "${SENTINEL.listEnd}"`,
    `cd ${scratch}`,
    ...repeatLoop(`${bin}${args ? ` ${args}` : ''} 2>&1`),
  );
  if (pid1) lines.push('sync', 'reboot -f');
  else lines.push(...VNG_RETURN_STATUS);
  return `${lines.join('\n')}\n`;
}

/**
 * Kernel parameters the script reads from /proc/cmdline (run-time knobs, so one cached image
 * serves every count): `hmmci.repeat=N` runs hmm-tests N times, `hmmci.memory_pressure=1` keeps
 * memory churning beside it. Unknown dotted parameters are ignored by the kernel.
 */
export const GUEST_PARAM = { repeat: 'hmmci.repeat', memoryPressure: 'hmmci.memory_pressure' } as const;

/**
 * hmm-tests N times (`HMMCI-ITER i/N` before each run), stopping early when the kernel is tainted
 * D (an oops killed a task: locks it held may never be released, so the host boots a fresh kernel
 * for the remaining runs). With `hmmci.memory_pressure=1`, two loops allocate and touch about a
 * third of the free memory each (busybox dd's buffer) and a third asks for compaction every
 * second: page migration and reclaim invalidate the ranges hmm-tests mirrors while it runs.
 */
function repeatLoop(command: string): string[] {
  return [
    'n=1; mp=0',
    `for a in $(cat /proc/cmdline); do case "$a" in ${GUEST_PARAM.repeat}=*) n="\${a#*=}";; ${GUEST_PARAM.memoryPressure}=1) mp=1;; esac; done`,
    'if [ "$mp" = 1 ]; then',
    "  mb=$(awk '/^MemAvailable:/ { print int($2 / 1024 / 3) }' /proc/meminfo)",
    '  ( while :; do dd if=/dev/zero of=/dev/null bs=${mb}M count=4 2>/dev/null; done ) &',
    '  ( while :; do dd if=/dev/zero of=/dev/null bs=${mb}M count=4 2>/dev/null; done ) &',
    '  ( while :; do echo 1 > /proc/sys/vm/compact_memory; sleep 1; done ) 2>/dev/null &',
    `  echo "${SENTINEL.info} memory_pressure=2x\${mb}MiB+compaction"`,
    'fi',
    'i=1; status=0',
    'while [ "$i" -le "$n" ]; do',
    `  echo "${SENTINEL.iter} $i/$n"`,
    `  echo "${SENTINEL.start} hmm-tests"`,
    `  ${command}`,
    '  status=$?',
    `  echo "${SENTINEL.exit} status=$status"`,
    '  if [ $(( $(cat /proc/sys/kernel/tainted) & 128 )) -ne 0 ]; then',
    `    echo "${SENTINEL.info} tainted=$(cat /proc/sys/kernel/tainted) stopped=oops"`,
    '    break',
    '  fi',
    '  i=$((i + 1))',
    'done',
  ];
}

/** The guest's /init inside our own initramfs. */
export function renderInit(opts: InitOptions): string {
  return renderRunScript({ ...opts, hmmTests: '/bin/hmm-tests', testHmmKo: '/lib/test_hmm.ko', mode: 'initramfs' });
}
