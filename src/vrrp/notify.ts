/**
 * VRRP layer, edge: notify scripts on state changes. notify_master / notify_backup / notify_fault /
 * notify_stop run as written; the generic `notify` gets keepalived's four extra arguments
 * (INSTANCE, name, state, priority). Run without a shell, in their own process group, killed
 * (the whole group) after `timeoutMs`.
 */
import { spawn } from 'node:child_process';
import type { NotifyScripts } from '../config/model/vrrp.js';
import type { Script } from '../config/schema.js';
import { resolveIdentity } from '../util/users.js';
import type { VrrpState } from './fsm.js';
import { errorText } from '../util/errors.js';

export interface NotifyLog {
  warn(msg: string): void;
}

export interface NotifyOptions {
  /** Kill the script's process group after this long (keepalived: 10 s for STOP-time scripts). */
  timeoutMs?: number;
  /** global_defs script_user: who runs scripts that do not name their own user. */
  scriptUser?: string;
  scriptGroup?: string;
}

function run(script: Script, extra: string[], o: NotifyOptions, log: NotifyLog): void {
  const [cmd, ...args] = script.argv;
  if (!cmd) return;
  const timeoutMs = o.timeoutMs ?? 10_000;
  try {
    const user = script.user ?? o.scriptUser;
    const id = user !== undefined ? resolveIdentity(user, script.user !== undefined ? script.group : o.scriptGroup) : undefined;
    const child = spawn(cmd, [...args, ...extra], { detached: true, stdio: 'ignore', ...(id ?? {}) });
    child.on('error', (e) => log.warn(`notify script ${cmd} failed to start: ${e.message}`));
    const t = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      log.warn(`notify script ${cmd} killed after ${timeoutMs} ms`);
    }, timeoutMs);
    t.unref();
    child.on('exit', () => clearTimeout(t));
    child.unref();
  } catch (e) {
    log.warn(`notify script ${cmd}: ${errorText(e)}`);
  }
}

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
export function runNotify(n: NotifyScripts, kind: 'INSTANCE' | 'GROUP', name: string, state: VrrpState | 'STOP', priority: number, log: NotifyLog, o: NotifyOptions = {}): void {
  const key = SPECIFIC[state];
  const specific: Script | undefined = key ? n[key] : undefined;
  if (specific) run(specific, [], o, log);
  const generic = n.generic;
  if (generic) run(generic, [kind, name, state, String(priority)], o, log);
}

/** keepalived's notify FIFO line: `INSTANCE "VI_1" MASTER 150`, `GROUP "G1" BACKUP 0`. */
export function fifoLine(kind: 'INSTANCE' | 'GROUP', name: string, state: string, priority: number): string {
  return `${kind} "${name}" ${state} ${priority}`;
}
