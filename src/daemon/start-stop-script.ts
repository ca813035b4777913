/**
 * Daemon layer, edge: global_defs startup_script and shutdown_script, run by the supervisor as keepalived
 * runs them: the startup script before the VRRP and checker processes start, the shutdown script after
 * they have stopped, each waited for (startup_script_timeout / shutdown_script_timeout, default 10 s) and
 * killed with its whole process group when it overruns. A failing script is logged; the daemon goes on.
 */
import { spawn } from 'node:child_process';
import type { GlobalDefs } from '../config/model/global.js';
import type { Script } from '../config/schema.js';
import { type Identity, resolveIdentity } from '../util/users.js';
import type { Logger } from './log.js';
import { errorText } from '../util/errors.js';

export async function runStartStopScript(which: 'startup' | 'shutdown', g: GlobalDefs, log: Logger): Promise<void> {
  const script: Script | undefined = which === 'startup' ? g.startupScript : g.shutdownScript;
  const [cmd, ...args] = script?.argv ?? [];
  if (!script || !cmd) return;
  const timeoutS = (which === 'startup' ? g.startupScriptTimeoutS : g.shutdownScriptTimeoutS) ?? 10;
  const name = `${which}_script ${cmd}`;
  let id: Identity | undefined;
  try {
    const user = script.user ?? g.scriptUser;
    id = user !== undefined ? resolveIdentity(user, script.user !== undefined ? script.group : g.scriptGroup) : undefined;
  } catch (e) {
    log.error(`${name}: ${errorText(e)} - not run`);
    return;
  }
  await new Promise<void>((resolve) => {
    let timedOut = false;
    const child = spawn(cmd, args, { detached: true, stdio: 'ignore', ...(id ?? {}) });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutS * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      log.error(`${name} failed to start: ${e.message}`);
      resolve();
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) log.warn(`${name} timed out after ${timeoutS} s and was killed`);
      else if (code !== 0) log.warn(`${name} exited with ${signal ? `signal ${signal}` : `status ${code}`}`);
      else log.info(`${name} completed`);
      resolve();
    });
  });
}
