/**
 * Property tests: the configuration front end never throws on any input, and every problem it
 * reports from a line names the file and the line (security verdicts are about the whole file).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig, permissiveEnv, type Diagnostic } from '../../src/config/index.js';
import { memFs } from '../helpers/memfs.js';

const MAIN = '/etc/keepalived/keepalived.conf';

const SAMPLE_DIRS = ['/usr/share/doc/keepalived/samples', path.resolve(__dirname, '../../../shared/corpus'), path.resolve(__dirname, '../../conf')];
const seeds: string[] = [];
for (const d of SAMPLE_DIRS) {
  if (!fs.existsSync(d)) continue;
  for (const f of fs.readdirSync(d)) {
    const p = path.join(d, f);
    if (f.includes('keepalived.conf') || f.endsWith('.conf')) {
      try {
        if (fs.statSync(p).isFile()) seeds.push(fs.readFileSync(p, 'utf8'));
      } catch {
        /* unreadable: skip */
      }
    }
  }
}
if (seeds.length === 0) seeds.push('vrrp_instance VI_1 {\n state MASTER\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n 192.0.2.1/24\n }\n}\n');

function check(text: string, configId: string | null = null): Diagnostic[] {
  const r = loadConfig(MAIN, { env: permissiveEnv, fs: memFs({ [MAIN]: text }), configId, random: () => 0.5 });
  expect([0, 2, 4, 5, 6]).toContain(r.exitCode);
  for (const d of r.diagnostics.list) {
    if (d.severity === 'security' || d.severity === 'info') continue;
    if (!d.loc) throw new Error(`diagnostic without file:line: ${d.severity}: ${d.message}`);
    expect(d.loc.file).toBe(MAIN);
    expect(d.loc.line).toBeGreaterThanOrEqual(1);
  }
  return r.diagnostics.list;
}

const TOKENS = [
  '{',
  '}',
  '"',
  '!',
  '#',
  '\\',
  '$X=1',
  '${X}',
  '$X',
  '@main',
  '@^main',
  '~SEQ(I,1,3)',
  '~LST(A,1,2)',
  'include x.conf',
  'vrrp_instance',
  'virtual_server',
  'real_server',
  'global_defs',
  'vrrp_script',
  'vrrp_sync_group',
  'group',
  'state',
  'MASTER',
  'BACKUP',
  'priority',
  'virtual_router_id',
  'interface',
  'eth0',
  'virtual_ipaddress',
  '192.0.2.1/24',
  '2001:db8::1',
  'lb_kind',
  'NAT',
  'DR',
  'TUN',
  'lb_algo',
  'wrr',
  'TCP_CHECK',
  'HTTP_GET',
  'url',
  'path',
  'MISC_CHECK',
  'misc_path',
  'weight',
  '-5',
  '0',
  '256',
  '1.5',
  'authentication',
  'auth_type',
  'PASS',
  'auth_pass',
  'track_script',
  'fwmark',
  'protocol',
  'TCP',
  'UDP',
  'port',
  '80',
  'advert_int',
  'notify',
  '/bin/true',
  'quorum',
  'sorry_server',
  'unicast_peer',
  'static_ipaddress',
  'track_file',
];

const line = fc.array(fc.constantFrom(...TOKENS), { minLength: 0, maxLength: 6 }).map((ws) => ws.join(' '));
const tokenConfig = fc.array(line, { maxLength: 60 }).map((ls) => ls.join('\n'));

/** A mutation of a real configuration: delete, duplicate, swap or corrupt lines and characters. */
const mutated = fc
  .tuple(
    fc.constantFrom(...seeds),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom('del', 'dup', 'swap', 'char', 'brace', 'tok')), { maxLength: 8 }),
    fc.string({ maxLength: 3 }),
  )
  .map(([seed, muts, junk]) => {
    const ls = seed.split('\n');
    for (const [n, op] of muts) {
      if (ls.length === 0) break;
      const i = n % ls.length;
      switch (op) {
        case 'del':
          ls.splice(i, 1);
          break;
        case 'dup':
          ls.splice(i, 0, ls[i]!);
          break;
        case 'swap': {
          const j = (i * 7 + 3) % ls.length;
          [ls[i], ls[j]] = [ls[j]!, ls[i]!];
          break;
        }
        case 'char': {
          const l = ls[i]!;
          const k = n % (l.length + 1);
          ls[i] = l.slice(0, k) + junk + l.slice(k + 1);
          break;
        }
        case 'brace':
          ls[i] = ls[i]! + (n % 2 ? ' {' : ' }');
          break;
        case 'tok':
          ls[i] = TOKENS[n % TOKENS.length]! + ' ' + ls[i]!;
          break;
      }
    }
    return ls.join('\n');
  });

/** FUZZ_CONFIG_RUNS scales the runs (npm run fuzz: 20,000 each); the suite's default is quick. */
const runs = (n: number) => Math.max(n, Number(process.env.FUZZ_CONFIG_RUNS ?? 0));

describe('config front end properties', () => {
  it('random token soup never crashes and always names file:line', () => {
    fc.assert(
      fc.property(tokenConfig, fc.constantFrom<string | null>(null, 'main'), (text, id) => {
        check(text, id);
      }),
      { numRuns: runs(400) },
    );
  });
  it('mutated real configurations never crash and always name file:line', () => {
    fc.assert(
      fc.property(mutated, (text) => {
        check(text);
      }),
      { numRuns: runs(400) },
    );
  });
  it('arbitrary unicode input never crashes', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        check(text);
      }),
      { numRuns: runs(300) },
    );
  });
});
