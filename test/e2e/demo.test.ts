/** `npm run demo` is the README's main command: it must work end to end and clean up after itself. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = process.getuid?.() === 0;
const haveIp = spawnSync('ip', ['-V']).status === 0;

describe.skipIf(!root || !haveIp)('npm run demo', () => {
  it('elects, fails over on the death of the MASTER, keeps serving the client, and removes its namespaces', () => {
    const r = spawnSync(process.execPath, [path.resolve(__dirname, '../../scripts/demo.mjs')], { encoding: 'utf8', timeout: 90_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/served by d1[\s\S]*d2 took the VIP \d+ ms[\s\S]*served by d2/);
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    expect(left).not.toMatch(/demo(sw|c|d1|d2)\d+/);
  }, 100_000);
});
