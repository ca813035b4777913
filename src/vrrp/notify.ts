/**
 * VRRP layer, edge: notify scripts on state changes. notify_master / notify_backup / notify_fault /
 * notify_stop run as written; the generic `notify` gets keepalived's four extra arguments
 * (INSTANCE, name, state, priority). Run without a shell, in their own process group, killed
 * (the whole group) after `timeoutMs`.
 */
import { spawn } from 'node:child_process';
import type { NotifyScripts } from '../config/model/vrrp.js';
import type { Script } from '../config/schema.js';
import type { VrrpState } from './fsm.js';

export interface NotifyLog {
  warn(msg: string): void;
}

function run(script: Script, extra: string[], timeoutMs: number, log: NotifyLog): void {
  const [cmd, ...args] = script.argv;
  if (!cmd) return;
  try {
    const child = spawn(cmd, [...args, ...extra], { detached: true, stdio: 'ignore' });
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
    log.warn(`notify script ${cmd}: ${(e as Error).message}`);
  }
}

const SPECIFIC: Partial<Record<VrrpState | 'STOP', keyof NotifyScripts>> = {
  MASTER: 'master',
  BACKUP: 'backup',
  FAULT: 'fault',
  STOP: 'stop',
};

export function runNotify(n: NotifyScripts, kind: 'INSTANCE' | 'GROUP', name: string, state: VrrpState | 'STOP', priority: number, log: NotifyLog, timeoutMs = 10_000): void {
  const key = SPECIFIC[state];
  const specific: Script | undefined = key ? n[key] : undefined;
  if (specific) run(specific, [], timeoutMs, log);
  const generic = n.generic;
  if (generic) run(generic, [kind, name, state, String(priority)], timeoutMs, log);
}
