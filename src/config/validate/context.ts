/**
 * Config layer: what the resolve/validate passes share.
 *
 * Subsystem validators (validate/vrrp.ts, validate/lvs.ts, ...) fill in defaults, check references
 * and report problems; scripts they will run are registered here and checked together at the end
 * (validate/scripts.ts), because keepalived's script-security verdict looks at all of them at once.
 */
import type { Diagnostics } from '../diagnostics.js';
import type { SystemEnv } from '../env.js';
import type { Script } from '../schema.js';

export type ScriptKind =
  /** vrrp_script: missing -> "Disabling track script" (an error) */
  | 'track'
  /** notify*, notify_fifo_script: missing -> disabled quietly */
  | 'notify'
  /** MISC_CHECK, notify_up/down, quorum_up/down: checker-side scripts */
  | 'check'
  /** startup_script / shutdown_script */
  | 'startup';

export interface ScriptUse {
  script: Script;
  kind: ScriptKind;
  /** Human name of what runs it, e.g. "vrrp_script chk_haproxy". */
  owner: string;
  /** Called when the script is disabled (not found, insecure, bad user), so the model drops it. */
  disable?: () => void;
}

export interface ValidateContext {
  diag: Diagnostics;
  env: SystemEnv;
  /** UNBOUNDED: one per script reference in the configuration. */
  scripts: ScriptUse[];
}
