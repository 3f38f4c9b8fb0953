import type { RegisterCommand } from '../context.js';
import { registerDoctor } from './doctor.js';
import { registerTree } from './tree.js';
import { registerConfig } from './config.js';
import { registerBuild } from './build.js';
import { registerSeries } from './series.js';
import { registerTest } from './test.js';
import { registerParse } from './parse.js';
import { registerRun } from './run.js';
import { registerBisect } from './bisect.js';
import { registerHistory } from './history.js';
import { registerServe } from './serve.js';
import { registerFleet } from './fleet.js';
import { registerWatch } from './watch.js';

/** Stages in pipeline order; `hmmci --help` lists them in this order. */
export const commands: readonly RegisterCommand[] = [
  registerDoctor,
  registerTree,
  registerConfig,
  registerBuild,
  registerSeries,
  registerTest,
  registerParse,
  registerRun,
  registerBisect,
  registerHistory,
  registerServe,
  registerFleet,
  registerWatch,
];
