/**
 * A check this host cannot make (no descriptor left: EMFILE) is no verdict on the real server: as
 * keepalived, it is rescheduled without counting, and said in the log now and then. Run in a child
 * process (test/integration/fixtures/emfile-child.mjs, from dist/) with `ulimit -n 64` and every
 * descriptor used up, then freed.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const DIST = path.resolve(__dirname, '../../dist');

describe.skipIf(!fs.existsSync(path.join(DIST, 'check/index.js')))('checks this host cannot make', () => {
  it('EMFILE leaves the real server up and uncounted, is logged, and checks resume once descriptors are free', () => {
    const r = spawnSync('sh', ['-c', `ulimit -n 64 && exec "${process.execPath}" "${path.join(__dirname, 'fixtures/emfile-child.mjs')}" "${DIST}"`], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      held: number;
      downWhileStarved: boolean;
      starved: { up: boolean; failures: number };
      fed: { up: boolean; checks: number; failures: number };
      warnings: string[];
    };
    expect(out.held).toBeGreaterThan(0);
    expect(out.downWhileStarved).toBe(false);
    expect(out.starved).toMatchObject({ up: true, failures: 0 });
    expect(out.fed.checks).toBeGreaterThan(0);
    expect(out.fed).toMatchObject({ up: true, failures: 0 });
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toMatch(/could not be made on this host and were rescheduled \(TCP connection to \[127\.0\.0\.1\]:tcp:\d+ failed: EMFILE\)/);
  }, 40_000);
  it('the open-files limit is raised to what is asked with CAP_SYS_RESOURCE, said why not without, never lowered', () => {
    const capSysResource = (BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'}`) >> 24n) & 1n;
    const run = (ulimit: string) => {
      const js = `import(${JSON.stringify(path.join(DIST, 'net/rlimit.js'))}).then((m) => console.log(JSON.stringify([m.raiseOpenFilesLimit(5000), m.openFilesLimit(), m.raiseOpenFilesLimit(100)])))`;
      const r = spawnSync('sh', ['-c', `${ulimit} && exec "${process.execPath}" -e '${js}'`], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout.trim()) as [
        { before: number; after: number } | { error: string },
        { soft: number; hard: number },
        { before: number; after: number },
      ];
    };
    // High enough already: left as it is.
    const [enough, nowEnough] = run('ulimit -n 6000');
    expect(enough).toEqual({ before: 6000, after: 6000 });
    expect(nowEnough).toEqual({ soft: 6000, hard: 6000 });
    const [hard, nowHard, again] = run('ulimit -n 100');
    if (capSysResource) {
      expect(hard).toEqual({ before: 100, after: 5000 });
      expect(nowHard).toEqual({ soft: 5000, hard: 5000 });
      expect(again).toEqual({ before: 5000, after: 5000 });
    } else {
      expect((hard as { error: string }).error).toMatch(/needs CAP_SYS_RESOURCE; the limit is 100/);
      expect(nowHard).toEqual({ soft: 100, hard: 100 });
    }
  });
});
