export {
  parseConsole,
  ConsoleParser,
  allPassed,
  type ParseResult,
  type ParseOptions,
  type SessionInfo,
} from './parser.js';
export { parseListing } from './listing.js';
export { decodeEvents, decodeScript } from './decode.js';
export { formatResultText } from './format.js';
export * from './types.js';
