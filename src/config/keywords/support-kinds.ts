/** Keyword tables, pure: the kinds of entry of the support table (support.ts explains them). */
export type Support =
  | { readonly state: 'acted'; readonly since?: string }
  | { readonly state: 'not'; readonly why: string; readonly since?: string }
  | { readonly state: 'conditional'; readonly why: string };

export type SupportTable = Record<string, Support>;

export const ACTED: Support = { state: 'acted' };
export const not = (why: string): Support => ({ state: 'not', why });
/** A keyword of keepalived `since` (unknown to keepalived 2.2.7), parsed and not acted on. */
export const later = (since: string, why: string): Support => ({ state: 'not', why, since });
/** A keyword of keepalived `since` (unknown to keepalived 2.2.7) that is acted on. */
export const laterActed = (since: string): Support => ({ state: 'acted', since });
export const conditional = (why: string): Support => ({ state: 'conditional', why });

/** `prefix.name` -> support for each name. */
export function each(prefix: string, names: readonly string[], s: Support): SupportTable {
  return Object.fromEntries(names.map((n) => [prefix ? `${prefix}.${n}` : n, s]));
}
