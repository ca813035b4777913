/**
 * Util layer, pure: a configuration value without its file:line locations, as one string, to tell whether
 * two loads of a file mean the same thing (a reload that only moved lines changes nothing).
 */
export function withoutLocs(x: unknown): string {
  return JSON.stringify(x, (k, v) => (k === 'loc' ? undefined : v));
}
