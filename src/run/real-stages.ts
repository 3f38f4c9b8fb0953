// Moved to src/stages/real-stages.ts (the stage contract is shared by run, bisect and the fleet).
export { realStages, DEFAULT_FRAGMENTS, BUILD_NICE, runMakeCommand, mboxOf } from '../stages/real-stages.js';
