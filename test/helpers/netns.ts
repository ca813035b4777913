/**
 * What the namespace tests share: run a command that must succeed, sleep, and wait for a condition with a
 * time limit that names what was waited for.
 */
import { spawnSync } from 'node:child_process';

/** Runs a command (ip, nft...) and throws with its stderr when it fails. */
export function sh(...args: string[]): void {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 20 ms; resolves with the time it took, or throws `what: not within ms`. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (cond()) return Date.now() - t0;
    await sleep(20);
  }
  throw new Error(`${what}: not within ${ms} ms`);
}
