/**
 * Daemon layer, edge: keepalived's per-process scheduling keywords, applied by each child to itself.
 * `vrrp_priority N` / `checker_priority N` set the nice value of the VRRP / checker process (-20..19), so an
 * operator can favour VRRP over the checkers on a loaded director as with keepalived. The real-time,
 * no-swap and CPU-affinity keywords are not applied (a Node process under SCHED_RR with keepalived's
 * RLIMIT_RTTIME would be killed by its own garbage collector); the support table (config/keywords/support.ts)
 * has them reported as not acted on, at their file:line.
 */
import * as os from 'node:os';
import type { GlobalDefs } from '../config/model/global.js';
import type { Role } from './parts.js';
import { errorText } from '../util/errors.js';

const PREFIX: Record<Role, string> = { vrrp: 'vrrp', checkers: 'checker' };

/** What to do for `role` given global_defs' kept keywords (pure). */
export function scheduling(role: Role, other: GlobalDefs['other']): { nice?: number } {
  const nice = other[`${PREFIX[role]}_priority`]?.[0];
  return nice !== undefined && /^-?\d+$/.test(nice) ? { nice: Number(nice) } : {};
}

/** Applies it to this process; problems are logged, never fatal. */
export function applyScheduling(role: Role, other: GlobalDefs['other'], log: { info(m: string): void; warn(m: string): void }): void {
  const s = scheduling(role, other);
  if (s.nice !== undefined) {
    try {
      os.setPriority(0, s.nice);
      log.info(`${PREFIX[role]}_priority: running at nice ${s.nice}`);
    } catch (e) {
      log.warn(`${PREFIX[role]}_priority ${s.nice}: ${errorText(e)}`);
    }
  }
}
