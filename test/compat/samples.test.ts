/**
 * Compatibility: every sample configuration shipped by Debian's keepalived package gets the same
 * verdict (exit code of -t) from tskeepalived as from keepalived itself, both run in the same empty
 * network namespace (only `lo`) so interface checks see the same machine.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const SAMPLES = '/usr/share/doc/keepalived/samples';
const BIN = path.resolve(__dirname, '../../bin/tskeepalived.js');
const haveKeepalived = spawnSync('keepalived', ['-v']).status === 0 || fs.existsSync('/usr/sbin/keepalived');
const haveUnshare = spawnSync('unshare', ['-n', 'true']).status === 0;
const files = fs.existsSync(SAMPLES)
  ? fs
      .readdirSync(SAMPLES)
      .filter((f) => f.startsWith('keepalived.conf'))
      .sort()
  : [];

function run(cmd: string[], file: string) {
  const r = spawnSync('unshare', ['-n', ...cmd, '-t', '-f', file], { cwd: SAMPLES, encoding: 'utf8', timeout: 20_000 });
  return { rc: r.status, err: (r.stderr ?? '').split('\n')[0] };
}

describe.skipIf(!haveKeepalived || !haveUnshare || files.length === 0)('keepalived package samples', () => {
  for (const f of files) {
    it(`${f}: same -t verdict as keepalived`, () => {
      const ka = run(['keepalived'], f);
      const ts = run([process.execPath, BIN], f);
      expect({ file: f, rc: ts.rc, first: ts.err }).toMatchObject({ file: f, rc: ka.rc });
    });
  }
});

if (!haveKeepalived || !haveUnshare) console.log('keepalived or unshare -n not available: samples comparison skipped');
