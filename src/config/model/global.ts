/** Config model: global_defs and the root-level global keywords. (Filled in by the VRRP-side tables.) */
export interface GlobalDefs {
  routerId?: string;
  enableScriptSecurity?: boolean;
  scriptUser?: string;
  scriptGroup?: string;
  /** Keywords parsed but not yet acted on by any subsystem: keyword -> words of its last occurrence. */
  other: Record<string, string[]>;
}
export function emptyGlobal(): GlobalDefs {
  return { other: {} };
}
