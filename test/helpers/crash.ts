/**
 * Kills a daemon and every process under it at once, as a power cut or a kernel panic would: the
 * supervisor is frozen first (it cannot respawn anything), then its descendants and itself get SIGKILL, so
 * no child sees its parent go and stops gracefully. What `kill -9` of a single-process daemon used to mean.
 */
import * as fs from 'node:fs';

/** The pids whose parent chain leads to `pid`. */
export function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [c, pp] of parent) if (pp === p) out.push(c), walk(c);
  };
  walk(pid);
  return out;
}

export function crash(pid: number): void {
  const kill = (p: number, sig: NodeJS.Signals) => {
    try {
      process.kill(p, sig);
    } catch {
      // already gone
    }
  };
  kill(pid, 'SIGSTOP');
  for (const c of descendants(pid)) kill(c, 'SIGKILL');
  kill(pid, 'SIGKILL');
}
