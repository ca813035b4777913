/**
 * Checker layer, edge: MISC_CHECK, one run of misc_path (keepalived check_misc.c): no shell, its own
 * process group, killed (the whole group) after misc_timeout. Exit 0 = up, anything else = down; with
 * misc_dynamic an exit status of 2..255 is up with weight status - 2. Runs as the script's `user`, else
 * global_defs script_user.
 */
import { spawn } from 'node:child_process';
import type { MiscCheck } from '../../config/model/lvs.js';
import { resolveIdentity } from '../../util/users.js';
import type { ProbeOutcome } from '../probe.js';
import { errorText } from '../../util/errors.js';

export function miscProbe(c: MiscCheck, scriptUser: string | undefined, signal: AbortSignal): Promise<ProbeOutcome> {
  const t0 = performance.now();
  const [cmd, ...args] = c.script.argv;
  const name = c.script.cmd;
  return new Promise((resolve) => {
    if (!cmd) return resolve({ ok: false, reason: 'MISC_CHECK without misc_path', ms: 0 });
    let id: { uid: number; gid: number } | undefined;
    try {
      const user = c.script.user ?? scriptUser;
      id = user ? resolveIdentity(user, c.script.user ? c.script.group : undefined) : undefined;
    } catch (e) {
      return resolve({ ok: false, reason: `Misc check to ${name}: ${errorText(e)}`, ms: 0 });
    }
    let done = false;
    const child = spawn(cmd, args, { detached: true, stdio: 'ignore', ...(id ?? {}) });
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const finish = (o: Omit<ProbeOutcome, 'ms'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve({ ...o, ms: performance.now() - t0 });
    };
    const timer = setTimeout(() => {
      killGroup();
      finish({ ok: false, reason: `Misc check to ${name} timed out` });
    }, c.timeoutS * 1000);
    const onAbort = () => {
      killGroup();
      finish({ ok: false, reason: 'aborted' });
    };
    signal.addEventListener('abort', onAbort);
    child.on('error', (e) => finish({ ok: false, reason: `Misc check to ${name} failed to start: ${e.message}` }));
    child.on('exit', (code, sig) => {
      killGroup(); // grandchildren left behind
      if (code === 0) return finish({ ok: true });
      if (c.dynamic && code !== null && code >= 2) return finish({ ok: true, weight: code - 2 });
      finish({ ok: false, reason: `Misc check to ${name} failed${code !== null ? ` (exit ${code})` : ` (${sig})`}` });
    });
  });
}
