/**
 * Scripts that misbehave leave nothing behind: track scripts (vrrp_script) that fork children and exit,
 * hang past their timeout while ignoring SIGTERM, or print megabytes; notify scripts that hang past
 * their limit. After hundreds of runs no process of theirs is left and the daemon's own descriptors are
 * back where they started. Real processes (sh), no mocks.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { VrrpScript } from '../../src/config/model/vrrp.js';
import { ScriptTracker } from '../../src/vrrp/trackers.js';
import { runNotify } from '../../src/vrrp/notify.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-hyg-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Processes whose command line contains `marker`. */
function running(marker: string): number {
  let n = 0;
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(marker)) n++;
    } catch {
      // gone
    }
  }
  return n;
}
const fds = () => fs.readdirSync('/proc/self/fd').length;

function script(name: string, body: string): string {
  const f = path.join(dir, `${name}.sh`);
  fs.writeFileSync(f, `#!/bin/sh\n${body}\n`);
  fs.chmodSync(f, 0o755);
  return f;
}

function tracker(file: string, marker: string, timeoutS: number): ScriptTracker {
  const def: VrrpScript = {
    name: marker,
    script: { cmd: `${file} ${marker}`, argv: [file, marker], loc: { file: 'k.conf', line: 1 } },
    intervalS: 0.005,
    timeoutS,
    weight: 0,
    weightReverse: false,
    rise: 1,
    fall: 1,
    initFail: false,
    loc: { file: 'k.conf', line: 1 },
  };
  return new ScriptTracker(def, () => undefined, { info: () => undefined, warn: () => undefined });
}

describe('misbehaving scripts leave nothing behind', () => {
  it('track scripts: forking children, hanging while ignoring SIGTERM, printing megabytes', async () => {
    const before = fds();
    const cases = [
      // The children carry the marker in their command line ($0 of sh -c), so a survivor is counted.
      ['forker', script('forker', "sh -c 'sleep 30; :' tsk-hyg-forker-child &\nsh -c 'sleep 30; :' tsk-hyg-forker-child &\nexit 0"), 1],
      ['hanger', script('hanger', "trap '' TERM\nsleep 30"), 0.05],
      ['talker', script('talker', 'head -c 3000000 /dev/zero | tr "\\\\0" x\nexit 1'), 1],
    ] as const;
    const runs: Record<string, number> = {};
    for (const [marker, file, timeoutS] of cases) {
      const t = tracker(file, `tsk-hyg-${marker}`, timeoutS);
      let n = 0;
      const orig = (t as unknown as { schedule: () => void }).schedule.bind(t);
      (t as unknown as { schedule: () => void }).schedule = () => {
        n++;
        orig();
      };
      t.start();
      const deadline = Date.now() + 60_000;
      while (n < (marker === 'hanger' ? 30 : 100) && Date.now() < deadline) await sleep(50);
      t.stop();
      runs[marker] = n;
      await sleep(300);
      expect({ marker, left: running(`tsk-hyg-${marker}`) }).toEqual({ marker, left: 0 });
    }
    console.log(`runs: ${JSON.stringify(runs)}; descriptors ${before} -> ${fds()}`);
    expect(runs.forker).toBeGreaterThanOrEqual(100);
    expect(fds()).toBeLessThanOrEqual(before + 2);
  }, 120_000);

  it('notify scripts that hang past their limit are killed with their group', async () => {
    const file = script('notify-hang', "trap '' TERM\nsleep 30 & sleep 30");
    for (let i = 0; i < 100; i++)
      runNotify(
        { master: { cmd: file, argv: [file, 'tsk-hyg-notify'], loc: { file: 'k.conf', line: 1 } } },
        'INSTANCE',
        'VI_1',
        'MASTER',
        100,
        { warn: () => undefined },
        { timeoutMs: 600 },
      );
    await sleep(200);
    expect(running('tsk-hyg-notify')).toBeGreaterThan(0); // they were running
    await sleep(1500);
    expect(running('tsk-hyg-notify')).toBe(0);
    expect(running(`${file}`)).toBe(0);
  }, 30_000);
});
