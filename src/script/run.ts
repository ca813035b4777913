/**
 * Script layer, edge: running one configured script (a notify script, a quorum_up/quorum_down script) and
 * forgetting it: without a shell, as its user (or global_defs script_user), in its own process group,
 * the whole group killed after `timeoutMs`. Used by the VRRP process (notify scripts) and the checker
 * process (quorum scripts) alike; a failure to start is logged, never thrown.
 */
import { spawn } from 'node:child_process';
import type { Script } from '../config/model/script.js';
import { errorText } from '../util/errors.js';
import { resolveIdentity } from '../util/users.js';

export interface ScriptLog {
  warn(msg: string): void;
}

export interface RunOptions {
  /** Kill the script's process group after this long (default 10 s, keepalived's for notify scripts). */
  timeoutMs?: number;
  /** global_defs script_user: who runs scripts that do not name their own user. */
  scriptUser?: string;
  scriptGroup?: string;
  /** What the log calls it (default "script"): "notify script", "quorum_up script". */
  label?: string;
}

/** Starts `script` with `extra` arguments after its own; what it prints is discarded. */
export function runScript(script: Script, extra: string[], o: RunOptions, log: ScriptLog): void {
  const [cmd, ...args] = script.argv;
  if (!cmd) return;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const what = `${o.label ?? 'script'} ${cmd}`;
  try {
    const user = script.user ?? o.scriptUser;
    const id = user !== undefined ? resolveIdentity(user, script.user !== undefined ? script.group : o.scriptGroup) : undefined;
    const child = spawn(cmd, [...args, ...extra], { detached: true, stdio: 'ignore', ...(id ?? {}) });
    child.on('error', (e) => log.warn(`${what} failed to start: ${e.message}`));
    const t = setTimeout(() => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      log.warn(`${what} killed after ${timeoutMs} ms`);
    }, timeoutMs);
    t.unref();
    child.on('exit', () => clearTimeout(t));
    child.unref();
  } catch (e) {
    log.warn(`${what}: ${errorText(e)}`);
  }
}
