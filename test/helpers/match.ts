import type { ErrorMatch } from '@tapjs/asserts';

/**
 * A pattern for t.throws/t.rejects over an error's own fields (`{ exitCode: 4 }`). tap matches any
 * object pattern at run time; its types only list message/name/code/cause shapes.
 */
export function errorWith(fields: Record<string, unknown>): ErrorMatch {
  return fields as unknown as ErrorMatch;
}
