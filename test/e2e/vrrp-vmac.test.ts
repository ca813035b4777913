/**
 * use_vmac between real processes in network namespaces: the MASTER's VIP lives on a macvlan carrying
 * the virtual MAC 00:00:5e:00:01:33 (VRID 51), so after a failover the client's neighbour entry does not
 * change at all; the BACKUP has the interface but no VIP; a graceful stop deletes the interface it made.
 * With keepalived (use_vmac) as the other director too. IPv6 (VRRPv3): vrrp.61 with 00:00:5e:00:02:3d, no
 * link-local address of its own but the parent's (deprecated), next to keepalived's IPv6 use_vmac in both
 * roles, the client's neighbour entry for the IPv6 VIP the virtual MAC. Needs root and iproute2.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { crash } from '../helpers/crash.js';

const BIN = path.resolve(__dirname, '../../bin/tskeepalived.js');
const root = process.getuid?.() === 0;
const canRun = root && spawnSync('ip', ['netns', 'add', `vmprobe${process.pid}`]).status === 0;
if (canRun) spawnSync('ip', ['netns', 'del', `vmprobe${process.pid}`]);
if (!canRun) console.log('use_vmac tests skipped: they need root and iproute2 (ip netns)');
const haveKeepalived = fs.existsSync('/usr/sbin/keepalived');

const tag = `${process.pid % 10000}`;
const NS = { a: `vma${tag}`, b: `vmb${tag}`, c: `vmc${tag}`, sw: `vmsw${tag}` };
const IF = { a: `vva${tag}`, b: `vvb${tag}`, c: `vvc${tag}` };
const IP = { a: '192.0.2.1', b: '192.0.2.2', c: '192.0.2.50' };
const VIP = '192.0.2.100';
const VMAC = '00:00:5e:00:01:33';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-vmac-'));
const procs: ChildProcess[] = [];

function sh(...args: string[]): string {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const ipn = (s: keyof typeof NS, ...a: string[]) => spawnSync('ip', ['-n', NS[s], ...a], { encoding: 'utf8' }).stdout;

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (cond()) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

function conf(side: 'a' | 'b', priority: number): string {
  return `vrrp_instance VI_1 {\n  state BACKUP\n  interface ${IF[side]}\n  use_vmac\n  virtual_router_id 51\n  priority ${priority}\n  advert_int 1\n  virtual_ipaddress {\n    ${VIP}/24\n  }\n}\n`;
}

const VIP6 = '2001:db8::100';
const VMAC6 = '00:00:5e:00:02:3d';
function conf6(side: 'a' | 'b', priority: number): string {
  return `vrrp_instance VI_6 {\n  state BACKUP\n  interface ${IF[side]}\n  use_vmac\n  virtual_router_id 61\n  priority ${priority}\n  advert_int 1\n  virtual_ipaddress {\n    ${VIP6}/64\n  }\n}\n`;
}

function start(kind: 'ts' | 'ka', side: 'a' | 'b', priority: number, v6 = false): { proc: ChildProcess; pid: () => number } {
  const file = path.join(dir, `${kind}-${side}${v6 ? '-6' : ''}.conf`);
  fs.writeFileSync(file, v6 ? conf6(side, priority) : conf(side, priority));
  const pidFile = path.join(dir, `${kind}-${side}.pid`);
  const out = fs.openSync(path.join(dir, `${kind}-${side}.log`), 'w');
  const cmd =
    kind === 'ts'
      ? [process.execPath, BIN, '-n', '-l', '-f', file, '-p', pidFile]
      : ['keepalived', '-n', '-l', '-D', '-f', file, '-p', pidFile, '-r', `${pidFile}.vrrp`];
  const proc = spawn('ip', ['netns', 'exec', NS[side], ...cmd], { stdio: ['ignore', out, out] });
  procs.push(proc);
  return { proc, pid: () => Number(fs.readFileSync(pidFile, 'utf8')) };
}

const vipOn = (s: 'a' | 'b') => ipn(s, '-4', '-o', 'addr', 'show', 'dev', 'vrrp.51').includes(`${VIP}/`);
const hasVmac = (s: 'a' | 'b') => ipn(s, 'link', 'show', 'vrrp.51').includes(VMAC);
const ping = () => spawnSync('ip', ['netns', 'exec', NS.c, 'ping', '-c', '1', '-W', '1', VIP]).status === 0;
const clientNeigh = () => ipn('c', 'neigh', 'show', VIP);
const vip6On = (s: 'a' | 'b') => ipn(s, '-6', '-o', 'addr', 'show', 'dev', 'vrrp.61').includes(`${VIP6}/`);
const ping6 = () => spawnSync('ip', ['netns', 'exec', NS.c, 'ping', '-6', '-c', '1', '-W', '1', VIP6]).status === 0;

describe.skipIf(!canRun)('use_vmac', () => {
  beforeAll(() => {
    sh('ip', 'netns', 'add', NS.sw);
    sh('ip', '-n', NS.sw, 'link', 'add', 'br0', 'type', 'bridge');
    sh('ip', '-n', NS.sw, 'link', 'set', 'br0', 'up');
    for (const s of ['a', 'b', 'c'] as const) {
      sh('ip', 'netns', 'add', NS[s]);
      sh('ip', 'link', 'add', IF[s], 'type', 'veth', 'peer', 'name', `${IF[s]}p`);
      sh('ip', 'link', 'set', `${IF[s]}p`, 'netns', NS.sw);
      sh('ip', '-n', NS.sw, 'link', 'set', `${IF[s]}p`, 'master', 'br0');
      sh('ip', '-n', NS.sw, 'link', 'set', `${IF[s]}p`, 'up');
      sh('ip', 'link', 'set', IF[s], 'netns', NS[s]);
      sh('ip', '-n', NS[s], 'addr', 'add', `${IP[s]}/24`, 'dev', IF[s]);
      sh('ip', '-n', NS[s], 'link', 'set', IF[s], 'up');
      sh('ip', '-n', NS[s], 'link', 'set', 'lo', 'up');
    }
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) if (p.exitCode === null) p.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    for (const s of ['a', 'b'] as const) {
      spawnSync('sh', ['-c', `ip netns pids ${NS[s]} | xargs -r kill -9`]);
      spawnSync('ip', ['-n', NS[s], 'link', 'del', 'vrrp.51']);
      spawnSync('ip', ['-n', NS[s], 'link', 'del', 'vrrp.61']);
    }
    spawnSync('ip', ['-n', NS.c, 'neigh', 'flush', 'all']);
  });
  afterAll(() => {
    for (const n of Object.values(NS)) spawnSync('ip', ['netns', 'del', n]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the VIP sits on vrrp.51 with the virtual MAC; after kill -9 of the MASTER the client keeps the same MAC and still reaches the VIP', async () => {
    const a = start('ts', 'a', 150);
    const b = start('ts', 'b', 100);
    await waitFor(() => vipOn('a'), 10_000, 'a to hold the VIP on vrrp.51');
    await new Promise((r) => setTimeout(r, 1500));
    expect(hasVmac('a') && hasVmac('b')).toBe(true);
    expect(vipOn('b')).toBe(false);
    expect(ping()).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(clientNeigh()).toContain(VMAC);
    crash(a.pid());
    await waitFor(() => vipOn('b'), 6000, 'b to take the VIP');
    expect(clientNeigh()).toContain(VMAC);
    await waitFor(ping, 3000, 'the client to reach the VIP through b');
    expect(clientNeigh()).toContain(VMAC); // the client never saw another MAC for the VIP
    // Graceful stop: the interface it created goes with it.
    process.kill(b.pid(), 'SIGTERM');
    await waitFor(() => !hasVmac('b'), 5000, 'vrrp.51 to be deleted');
  }, 40_000);

  it.skipIf(!haveKeepalived)(
    'interoperates with keepalived using use_vmac: keepalived MASTER, tskeepalived BACKUP, then tskeepalived takes over',
    async () => {
      const ka = start('ka', 'a', 150);
      start('ts', 'b', 100);
      await waitFor(() => vipOn('a'), 10_000, 'keepalived to hold the VIP on vrrp.51');
      await new Promise((r) => setTimeout(r, 4500)); // longer than tskeepalived's Master_Down_Interval
      expect(vipOn('b')).toBe(false);
      expect(ping()).toBe(true);
      // keepalived 2.2.7 lets the parent interface re-announce the VIP at its own MAC (an ARP request "tell
      // the VIP" when the reply leaves through the parent); tskeepalived sets arp_announce=2 there. So the
      // client's entry is checked only once tskeepalived holds the VIP.
      crash(ka.pid());
      spawnSync('sh', ['-c', `ip netns pids ${NS.a} | xargs -r kill -9`]);
      await waitFor(() => vipOn('b'), 6000, 'tskeepalived to take the VIP');
      expect(clientNeigh()).toContain(VMAC);
      await waitFor(ping, 3000, 'the client to reach the VIP through tskeepalived');
    },
    40_000,
  );

  it.skipIf(!haveKeepalived)(
    "IPv6: the VMAC carries the parent's link-local address and no own one; keepalived and tskeepalived each MASTER in turn, the client keeps the virtual MAC",
    async () => {
      // The client needs an address in the VIP's prefix.
      spawnSync('ip', ['-n', NS.c, 'addr', 'add', '2001:db8::50/64', 'dev', IF.c, 'nodad']);
      const a = start('ts', 'a', 150, true);
      const b = start('ka', 'b', 100, true);
      await waitFor(() => vip6On('a'), 15_000, 'tskeepalived to hold the IPv6 VIP on vrrp.61');
      await new Promise((r) => setTimeout(r, 4500)); // longer than keepalived's Master_Down_Interval
      expect(vip6On('b')).toBe(false); // keepalived hears our adverts from the VMAC
      const link = ipn('a', '-d', 'link', 'show', 'vrrp.61');
      expect(link).toContain(VMAC6);
      expect(link).toContain('addrgenmode none');
      const parentLl = /inet6 (fe80::\S+)\/64/.exec(ipn('a', '-6', 'addr', 'show', 'dev', IF.a))![1]!;
      const onVmac = ipn('a', '-6', 'addr', 'show', 'dev', 'vrrp.61');
      expect(onVmac).toContain(`inet6 ${parentLl}/64 scope link nodad deprecated`);
      expect(onVmac.match(/scope link/g)).toHaveLength(1); // the parent's only
      await waitFor(ping6, 5000, 'the client to reach the IPv6 VIP');
      expect(ipn('c', '-6', 'neigh', 'show', VIP6)).toContain(VMAC6);
      crash(a.pid());
      spawnSync('sh', ['-c', `ip netns pids ${NS.a} | xargs -r kill -9`]);
      spawnSync('ip', ['-n', NS.a, 'link', 'del', 'vrrp.61']);
      await waitFor(() => vip6On('b'), 6000, 'keepalived to take the IPv6 VIP');
      await waitFor(ping6, 5000, 'the client to reach the VIP through keepalived');
      expect(ipn('c', '-6', 'neigh', 'show', VIP6)).toContain(VMAC6);
      // tskeepalived back, higher priority: it preempts keepalived.
      start('ts', 'a', 150, true);
      await waitFor(() => vip6On('a') && !vip6On('b'), 15_000, 'tskeepalived to take the VIP back');
      await waitFor(ping6, 5000, 'the client to reach the VIP through tskeepalived again');
      expect(ipn('c', '-6', 'neigh', 'show', VIP6)).toContain(VMAC6);
      void b;
    },
    60_000,
  );
});
