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

/**
 * The guest's /init (busybox sh). It prepares what hmm-tests needs (proc, sys, devtmpfs, debugfs,
 * hugetlbfs, a tmpfs scratch directory, /dev/stdout & co for run_kselftest.sh-style output),
 * loads test_hmm, prints the case listing and sentinel lines around the run, then powers off.
 * Pure: the same options give the same bytes (the initramfs cache key depends on it).
 */
export function renderInit(opts: InitOptions): string {
  const params = opts.testHmmParams.map(shellWord).join(' ');
  const args = (opts.testArgs ?? []).map(shellWord).join(' ');
  return `#!/bin/busybox sh
# hmmci guest init: run hmm-tests once, print sentinels, power off.
/bin/busybox mkdir -p /bin /sbin /proc /sys /dev /tmp /mnt
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
mkdir -p /dev/hugepages && mount -t hugetlbfs hugetlbfs /dev/hugepages
mount -t tmpfs -o size=256m tmpfs /tmp
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
[ -e /dev/stdin ] || ln -s /proc/self/fd/0 /dev/stdin
[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
[ -e /dev/stderr ] || ln -s /proc/self/fd/2 /dev/stderr
echo ${opts.hugepages} > /proc/sys/vm/nr_hugepages
echo "${SENTINEL.info} kernel=$(uname -r) nr_hugepages=$(cat /proc/sys/vm/nr_hugepages) ${params ? params.replace(/'/g, '') : 'coherent=none'}"
if ! insmod /lib/test_hmm.ko ${params}; then
  echo "${SENTINEL.error} insmod test_hmm failed"
fi
echo "${SENTINEL.info} devices=$(ls /dev | grep -c '^hmm_dmirror')"
echo "${SENTINEL.listBegin}"
/bin/hmm-tests -l 2>&1
echo "${SENTINEL.listEnd}"
cd /tmp
echo "${SENTINEL.start} hmm-tests"
/bin/hmm-tests ${args} 2>&1
echo "${SENTINEL.exit} status=$?"
sync
poweroff -f
`.replace(/ +\n/g, '\n');
}
