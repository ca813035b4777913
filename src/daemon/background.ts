/**
 * Daemon layer, edge: running in the background without -n, as init scripts expect of keepalived. The
 * command starts a copy of itself in a new session (setsid) with -n, its standard streams closed, and
 * waits until that copy has started (pid file written, subsystems up) or has failed; it then exits
 * with 0 or the copy's exit status, so `tskeepalived -f FILE && echo started` means what it says.
 * Node cannot fork a running process, hence the re-exec. Under systemd use -n (packaging/ does).
 */
import { spawn } from 'node:child_process';

/** Set in the background copy's environment (and removed from its children's). */
export const READY_ENV = 'TSKEEPALIVED_BACKGROUND';
const READY = READY_ENV;

/** True in the copy started by runInBackground. */
export function isBackgroundChild(): boolean {
  return process.env[READY] === '1' && typeof process.send === 'function';
}

/** In the background copy: tells the waiting command how the start went (and why not), then lets it go. */
export function reportStart(status: number, errors: string[] = []): void {
  if (!isBackgroundChild()) return;
  process.send!({ started: status, errors }, () => process.disconnect?.());
}

/** In the command: starts the background copy and resolves with the exit status to return. */
export function runInBackground(argv: string[], timeoutMs = 60_000): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...argv, '-n'], {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      env: { ...process.env, [READY]: '1' },
    });
    const t = setTimeout(() => {
      process.stderr.write(`tskeepalived: the background process (pid ${child.pid}) did not report its start within ${timeoutMs / 1000} s\n`);
      finish(1);
    }, timeoutMs);
    const finish = (status: number) => {
      clearTimeout(t);
      child.removeAllListeners();
      if (child.connected) child.disconnect();
      child.unref();
      resolve(status);
    };
    child.on('message', (m: { started?: number; errors?: string[] }) => {
      if (typeof m?.started !== 'number') return;
      if (m.started !== 0) for (const e of m.errors ?? []) process.stderr.write(`tskeepalived: ${e.replace(/^(Error|Warning): /, '')}\n`);
      finish(m.started);
    });
    child.on('exit', (code, sig) => {
      process.stderr.write(`tskeepalived: the background process exited during start (${sig ?? `status ${code}`}); see syslog\n`);
      finish(code || 1);
    });
    child.on('error', (e) => {
      process.stderr.write(`tskeepalived: cannot start the background process: ${e.message}\n`);
      finish(1);
    });
  });
}
