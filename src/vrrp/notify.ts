/**
 * VRRP layer, edge: notify scripts on state changes. notify_master / notify_backup / notify_fault /
 * notify_stop run as written; the generic `notify` gets keepalived's four extra arguments
 * (INSTANCE, name, state, priority). Run by script/run.ts: without a shell, in their own process group,
 * killed (the whole group) after `timeoutMs`.
 */
import type { NotifyScripts } from '../config/model/vrrp.js';
import type { Script } from '../config/schema.js';
import { runScript, type RunOptions } from '../script/run.js';
import type { VrrpState } from './fsm.js';

export interface NotifyLog {
  warn(msg: string): void;
}

/** How the scripts are run (script/run.ts): time limit, script_user. */
export type NotifyOptions = RunOptions;

const SPECIFIC: Partial<Record<VrrpState | 'STOP', keyof NotifyScripts>> = {
  MASTER: 'master',
  BACKUP: 'backup',
  FAULT: 'fault',
  STOP: 'stop',
};

/**
 * The notify scripts of an instance (kind INSTANCE, its effective priority) or a sync group (kind GROUP,
 * priority 0 as keepalived passes): the state's own script, then the generic one with its four arguments.
 */
export function runNotify(
  n: NotifyScripts,
  kind: 'INSTANCE' | 'GROUP',
  name: string,
  state: VrrpState | 'STOP',
  priority: number,
  log: NotifyLog,
  opts: NotifyOptions = {},
): void {
  const o = { ...opts, label: 'notify script' };
  const key = SPECIFIC[state];
  const specific: Script | undefined = key ? n[key] : undefined;
  if (specific) runScript(specific, [], o, log);
  const generic = n.generic;
  if (generic) runScript(generic, [kind, name, state, String(priority)], o, log);
}

/** keepalived's notify FIFO line: `INSTANCE "VI_1" MASTER 150`, `GROUP "G1" BACKUP 0`. */
export function fifoLine(kind: 'INSTANCE' | 'GROUP', name: string, state: string, priority: number): string {
  return `${kind} "${name}" ${state} ${priority}`;
}
