export type { ConfigEntry, ConfigureResult, KconfigIndex, KconfigSymbolDef, MissingOption } from './types.js';
export {
  parseFragment,
  parseExtraOptions,
  mergeRequested,
  renderFragment,
  configValues,
  canonicalConfig,
} from './fragment.js';
export { parseKconfig, buildKconfigIndex } from './kconfig-parse.js';
export { evalExpr, annotateExpr } from './expr.js';
export { validateConfig, formatMissing, optionLanded } from './validate.js';
export { loadKconfigIndex } from './load.js';
export { configKey, defaultFragments, kernelConfigsDir, DEFAULT_FRAGMENT_NAMES } from './key.js';
export { configure, resolveConfigInputs, type ConfigInputs, type ConfigureRequest } from './configure.js';
export { ConfigError } from './errors.js';
export { configIsCurrent, readConfigStamp, touchesKconfig, type ConfigStamp } from './current.js';
