/**
 * Daemon layer, edge: pid files. A pid file naming a live tskeepalived or keepalived refuses the start
 * (two daemons would fight over the same VIPs and IPVS table); one naming a dead process, or a process
 * that is something else (the pid was reused), is stale and replaced. Written atomically.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../util/write-atomic.js';

/** The pid file a daemon started in the background writes unless -p names another. */
export const DEFAULT_PID_FILE = '/run/tskeepalived.pid';
/** Where a daemon in network namespace NAME keeps its default files: NAMESPACED_RUN_DIR/NAME/. */
export const NAMESPACED_RUN_DIR = '/run/tskeepalived';

/** The pid in `file` if that process is alive and is a keepalived or tskeepalived. */
export function livePid(file: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /keepalived/.test(cmd) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export class PidFileError extends Error {}

/** Claims every file (the main, -r and -c pid files) for this process, or throws naming the live one. */
export function claimPidFiles(files: string[]): { stale: string[] } {
  const stale: string[] = [];
  for (const f of files) {
    const live = livePid(f);
    if (live !== undefined) throw new PidFileError(`another keepalived is running as pid ${live} (pid file ${f}): not starting`);
    if (fs.existsSync(f)) stale.push(f);
  }
  for (const f of files) writePidFile(f, process.pid);
  return { stale };
}

/** Writes `pid` into `file`, atomically (a child process's pid into the -r or -c file). */
export function writePidFile(file: string, pid: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, `${pid}\n`);
}

/** Removes the files that still hold this process's pid or one of `pids` (its children's). */
export function releasePidFiles(files: string[], pids: number[] = []): void {
  const ours = new Set([process.pid, ...pids]);
  for (const f of files) {
    try {
      if (ours.has(Number(fs.readFileSync(f, 'utf8').trim()))) fs.rmSync(f, { force: true });
    } catch {
      // already gone
    }
  }
}
