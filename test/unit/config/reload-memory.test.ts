/**
 * A reload by difference keeps no earlier file alive. The words of a virtual server parsed again at a reload
 * must not be views into that reload's whole file text: a daemon reloaded 1,000 times, each time for a
 * different virtual server, would otherwise hold up to 1,000 copies of its file. Measured here on the JavaScript
 * heap after a full collection: 40 reloads of a 1 MB file, each changing another virtual server, would keep
 * about 40 MB if each kept its file.
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { permissiveEnv, type LoadOptions } from '../../../src/config/index.js';
import { reloadConfig } from '../../../src/config/reload.js';
import { memFs } from '../../helpers/memfs.js';

const GEN = '../../../bench/gen-config.js';
const { genConfig } = (await import(GEN)) as { genConfig: (vs?: number, rs?: number) => string };
const MAIN = '/etc/keepalived/keepalived.conf';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as (o?: { type: 'major'; execution: 'sync' }) => void;

function heapAfterCollection(): number {
  gc({ type: 'major', execution: 'sync' });
  gc({ type: 'major', execution: 'sync' });
  return process.memoryUsage().heapUsed;
}

describe('reload by difference: memory', () => {
  it('40 reloads, each of another virtual server, keep no earlier file text', () => {
    const lines = genConfig(1000, 10).split('\n');
    // The first real server's weight line of each virtual server.
    const weights: number[] = [];
    for (let i = 0; i < lines.length; i++)
      if (/^\s*virtual_server /.test(lines[i]!)) weights.push(lines.findIndex((l, j) => j > i && /^\s*weight \d+$/.test(l)));
    expect(weights.length).toBe(1000);
    const opts = (): LoadOptions => ({ env: permissiveEnv, fs: memFs({ [MAIN]: lines.join('\n') }) });
    let r = reloadConfig(undefined, MAIN, opts());
    const fileBytes = lines.join('\n').length;
    expect(fileBytes).toBeGreaterThan(900_000);
    // Warm up (code, the first reparse's shapes), then measure.
    for (let k = 0; k < 3; k++) {
      lines[weights[k]!] = lines[weights[k]!]!.replace(/\d+$/, (d) => String(Number(d) + 1));
      r = reloadConfig(r.memo, MAIN, opts());
    }
    const before = heapAfterCollection();
    for (let k = 3; k < 43; k++) {
      lines[weights[k * 20]!] = lines[weights[k * 20]!]!.replace(/\d+$/, (d) => String(Number(d) + 1));
      r = reloadConfig(r.memo, MAIN, opts());
      expect(r.reparsed).toBe(1);
    }
    const grown = heapAfterCollection() - before;
    // Kept files would be 40 x fileBytes; what one reload may leave is one file (the memo's) and small change.
    expect(grown).toBeLessThan(8 * fileBytes);
  });
});
