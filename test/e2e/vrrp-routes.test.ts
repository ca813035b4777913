/**
 * virtual_routes and virtual_rules from a real daemon in a network namespace: in place while MASTER
 * (with keepalived's protocol number), gone after a graceful stop; a reload that drops one route removes
 * only that one. Needs root and iproute2.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '../../bin/tskeepalived.js');
const root = process.getuid?.() === 0;
const canRun = root && spawnSync('ip', ['netns', 'add', `vrprobe${process.pid}`]).status === 0;
if (canRun) spawnSync('ip', ['netns', 'del', `vrprobe${process.pid}`]);
if (!canRun) console.log('virtual_routes tests skipped: they need root and iproute2 (ip netns)');

const tag = `${process.pid % 10000}`;
const NS = `vra${tag}`;
const IF = `vrv${tag}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-routes-'));
const procs: ChildProcess[] = [];
const ipn = (...a: string[]) => spawnSync('ip', ['-n', NS, ...a], { encoding: 'utf8' }).stdout;

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

function conf(withBlackhole: boolean): string {
  return `vrrp_instance VI_1 {
  state MASTER
  interface ${IF}
  virtual_router_id 71
  priority 150
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
    203.0.113.201/24 scope link label ${IF}:v
    198.51.100.200/32 peer 198.51.100.201 noprefixroute
  }
  virtual_routes {
    198.51.100.0/24 via 192.0.2.254 dev ${IF}
    203.0.113.0/25 dev ${IF} table 100 metric 5
    ${withBlackhole ? 'blackhole 203.0.113.128/25' : ''}
  }
  virtual_rules {
    from 192.0.2.100 table 100 priority 100
  }
}
`;
}

describe.skipIf(!canRun)('virtual_routes and virtual_rules', () => {
  afterAll(() => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    spawnSync('sh', ['-c', `ip netns pids ${NS} | xargs -r kill -9`]);
    spawnSync('ip', ['netns', 'del', NS]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('are added when MASTER (with VIP scope, label, peer), reloaded by difference, and removed at stop', async () => {
    spawnSync('ip', ['netns', 'add', NS]);
    spawnSync('ip', ['-n', NS, 'link', 'add', IF, 'type', 'veth', 'peer', 'name', `${IF}p`]);
    spawnSync('ip', ['-n', NS, 'link', 'set', `${IF}p`, 'up']);
    spawnSync('ip', ['-n', NS, 'link', 'set', IF, 'up']);
    spawnSync('ip', ['-n', NS, 'addr', 'add', '192.0.2.1/24', 'dev', IF]);
    const file = path.join(dir, 'k.conf');
    fs.writeFileSync(file, conf(true));
    const logFile = path.join(dir, 'd.log');
    const d = spawn('ip', ['netns', 'exec', NS, process.execPath, BIN, '-n', '-l', '-f', file], {
      stdio: ['ignore', fs.openSync(logFile, 'w'), fs.openSync(logFile, 'a')],
    });
    procs.push(d);
    await waitFor(() => ipn('rule', 'show').includes('from 192.0.2.100 lookup 100'), 10_000, 'the rule');
    expect(ipn('route', 'show')).toMatch(/198\.51\.100\.0\/24 via 192\.0\.2\.254 dev \S+ proto (keepalived|18)/);
    expect(ipn('route', 'show', 'table', '100')).toMatch(/203\.0\.113\.0\/25 dev \S+ proto (keepalived|18) scope link metric 5/);
    expect(ipn('route', 'show')).toContain('blackhole 203.0.113.128/25');
    // VIP attributes: scope, label, peer.
    const addrs = ipn('-4', 'addr', 'show', 'dev', IF);
    // (The kernel refuses a secondary address whose scope differs from the primary of its subnet: EINVAL.)
    expect(addrs).toMatch(new RegExp(`203\\.0\\.113\\.201/24 scope link ${IF}:v`));
    expect(addrs).toMatch(/198\.51\.100\.200 peer 198\.51\.100\.201\/32 scope global noprefixroute/);
    // Reload without the blackhole route: only that one goes.
    fs.writeFileSync(file, conf(false));
    process.kill(d.pid!, 'SIGHUP');
    await waitFor(() => !ipn('route', 'show').includes('blackhole'), 5000, 'the dropped route to go');
    expect(ipn('route', 'show')).toContain('198.51.100.0/24 via 192.0.2.254');
    expect(ipn('rule', 'show')).toContain('from 192.0.2.100 lookup 100');
    d.kill('SIGTERM');
    await waitFor(() => d.exitCode !== null, 5000, 'the daemon to stop');
    expect(ipn('route', 'show')).not.toContain('198.51.100.0/24');
    expect(ipn('route', 'show', 'table', '100')).toBe('');
    expect(ipn('rule', 'show')).not.toContain('lookup 100');
    expect(fs.readFileSync(logFile, 'utf8')).not.toMatch(/adding route|removing route|adding rule|removing rule/);
  }, 30_000);
});
