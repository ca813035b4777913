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
    const r = spawnSync('sh', ['-c', `ulimit -n 64 && exec "${process.execPath}" "${path.join(__dirname, 'fixtures/emfile-child.mjs')}" "${DIST}"`], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { held: number; downWhileStarved: boolean; starved: { up: boolean; failures: number }; fed: { up: boolean; checks: number; failures: number }; warnings: string[] };
    expect(out.held).toBeGreaterThan(0);
    expect(out.downWhileStarved).toBe(false);
    expect(out.starved).toMatchObject({ up: true, failures: 0 });
    expect(out.fed.checks).toBeGreaterThan(0);
    expect(out.fed).toMatchObject({ up: true, failures: 0 });
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toMatch(/could not be made on this host and were rescheduled \(TCP connection to \[127\.0\.0\.1\]:tcp:\d+ failed: EMFILE\)/);
  }, 40_000);
});
