export {
  testKernel,
  GuestError,
  type TestKernelRequest,
  type TestKernelResult,
  type Runner,
  type CoherentSetup,
} from './test-kernel.js';
export {
  DEFAULT_TIMEOUTS,
  runGuestProcess,
  type GuestTimeouts,
  type GuestProcessOutcome,
  type KillReason,
} from './guest-process.js';
export { archConfig, ARCHES, type QemuArchConfig, type Accel } from './arch/index.js';
export { buildHmmTests, hmmTestsCompileArgs, type HmmTestsBinary } from './hmm-tests-binary.js';
export { buildInitramfs, initramfsEntries, type Initramfs } from './initramfs.js';
export { renderInit, renderRunScript } from './init-script.js';
export { qemuArgs, kernelCmdline, testHmmParams } from './qemu-command.js';
export { vngArgs } from './vng-command.js';
export {
  planAccel,
  kvmDeviceUsable,
  readMachineFacts,
  writeMachineFacts,
  type KvmVerdict,
  type MachineFacts,
} from './accel.js';
export { RepeatParser } from './repeat-parser.js';
export { aggregateRuns, aggregateTest } from './repeat.js';
export { planShards, mergeShards, harnessSelectsCases, SHARD_GROUPS, type Shard } from './shards.js';
export { GUEST_PARAM } from './init-script.js';
export type { GuestShape } from './guest-shape.js';
export { guestResultKey, type GuestRunOptions } from './guest-options.js';
