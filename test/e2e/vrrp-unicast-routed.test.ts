/**
 * Unicast VRRP across a router: A (192.0.2.0/24) - R (ip_forward=1) - B (198.51.100.0/24), each in a
 * network namespace of its own, so adverts between A and B are routed once and arrive with TTL 254.
 * tskeepalived against keepalived 2.2.7 in both roles, VRRPv2 (PASS) and v3: exactly one MASTER (never
 * both holding the VIP for an advert interval), takeover after a crash of the MASTER, adverts seen by
 * tshark in B's namespace with TTL 254 and A's unicast_src_ip (a secondary address, not the one the
 * kernel would choose) as source. Then unicast_ttl, min_ttl, check_unicast_src and unicast_fault_no_peer
 * between two tskeepalived; and, on the A - R link, a multicast pair on another group (vrrp_mcast_group4 on
 * one side, mcast_dst_ip on the other) sending from mcast_src_ip. Needs root, iproute2, keepalived and tshark; skips, saying so, otherwise.
 * Addresses: RFC 5737 documentation ranges inside namespaces created here and removed in afterAll.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { crash } from '../helpers/crash.js';
import { watchOverlap } from '../helpers/overlap.js';

const BIN = path.resolve(__dirname, '../../bin/tskeepalived.js');
const root = process.getuid?.() === 0;
const haveIp = spawnSync('ip', ['-V']).status === 0;
const haveKeepalived = fs.existsSync('/usr/sbin/keepalived');
const haveTshark = spawnSync('tshark', ['--version']).status === 0;
const canRun = root && haveIp && haveTshark && spawnSync('ip', ['netns', 'add', `tskuprobe${process.pid}`]).status === 0;
if (canRun) spawnSync('ip', ['netns', 'del', `tskuprobe${process.pid}`]);
if (!canRun) console.log('routed unicast VRRP tests skipped: they need root, iproute2 (ip netns) and tshark');

const tag = `${process.pid % 10000}`;
const NS = { a: `tskua${tag}`, b: `tskub${tag}`, r: `tskur${tag}` };
const IF = { a: `tua${tag}`, b: `tub${tag}` };
/** A's primary address, and the secondary one it sends from (unicast_src_ip). */
const A_PRIMARY = '192.0.2.1';
const A_SRC = '192.0.2.9';
const B_SRC = '198.51.100.1';
const VIP = '203.0.113.10';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-uni-'));
const procs: ChildProcess[] = [];

function sh(...args: string[]): void {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
}

interface ConfOpts {
  version: 2 | 3;
  priority: number;
  peer?: string;
  peerOpts?: string;
  extra?: string;
  noPeers?: boolean;
}

function conf(side: 'a' | 'b', o: ConfOpts): string {
  const src = side === 'a' ? A_SRC : B_SRC;
  const peer = o.peer ?? (side === 'a' ? B_SRC : A_SRC);
  const auth = o.version === 2 ? '  authentication {\n    auth_type PASS\n    auth_pass s3cret\n  }\n' : '';
  const peers = o.noPeers ? '' : `  unicast_peer {\n    ${peer}${o.peerOpts ?? ''}\n  }\n`;
  const text = `vrrp_instance VI_1 {\n  state BACKUP\n  interface ${IF[side]}\n  virtual_router_id 61\n  priority ${o.priority}\n  advert_int 1\n  version ${o.version}\n${auth}  unicast_src_ip ${src}\n${peers}${o.extra ?? ''}  virtual_ipaddress {\n    ${VIP}/32\n  }\n}\n`;
  const f = path.join(dir, `${side}-${Math.random().toString(36).slice(2)}.conf`);
  fs.writeFileSync(f, text);
  return f;
}

interface Daemon {
  proc: ChildProcess;
  log: string;
  pidFile: string;
}

function start(kind: 'ts' | 'ka', side: 'a' | 'b' | 'r', file: string): Daemon {
  const base = path.join(dir, `${kind}-${side}-${Date.now()}`);
  const log = `${base}.log`;
  const pidFile = `${base}.pid`;
  const out = fs.openSync(log, 'w');
  const cmd = kind === 'ts' ? [process.execPath, BIN] : ['keepalived'];
  const proc = spawn(
    'ip',
    ['netns', 'exec', NS[side], ...cmd, '-n', '-l', '-D', '-f', file, '-p', pidFile, '-r', `${pidFile}.vrrp`, '-c', `${pidFile}.check`],
    { stdio: ['ignore', out, out] },
  );
  procs.push(proc);
  return { proc, log, pidFile };
}

/** R's end of the A - R link, for the multicast test. */
const R_IF = `${IF.a}r`;

function hasVip(side: 'a' | 'b' | 'r'): boolean {
  const dev = side === 'r' ? R_IF : IF[side];
  const r = spawnSync('ip', ['-n', NS[side], '-4', '-o', 'addr', 'show', 'dev', dev], { encoding: 'utf8' });
  return r.stdout.includes(`${VIP}/`);
}

async function waitFor(cond: () => boolean, ms: number, stepMs = 10): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (cond()) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`condition not met within ${ms} ms`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Started and running its instance (keepalived says "(init)" after it): Node's start-up is not counted. */
async function backupNow(d: Daemon): Promise<void> {
  await waitFor(() => fs.readFileSync(d.log, 'utf8').includes('Entering BACKUP STATE'), 15_000, 50);
}

async function pidOf(d: Daemon): Promise<number> {
  await waitFor(() => fs.existsSync(d.pidFile) && fs.readFileSync(d.pidFile, 'utf8').trim() !== '', 5000);
  return Number(fs.readFileSync(d.pidFile, 'utf8'));
}

/** tshark in B's namespace on B's interface, VRRP only. */
async function capture(name: string): Promise<{ stop(): Promise<string[][]> }> {
  const pcap = path.join(dir, `${name}.pcap`);
  const cap = spawn('ip', ['netns', 'exec', NS.b, 'tshark', '-q', '-i', IF.b, '-w', pcap, '-f', 'ip proto 112'], { stdio: 'ignore' });
  procs.push(cap);
  await sleep(1500);
  return {
    async stop() {
      cap.kill('SIGINT');
      await new Promise((r) => cap.once('exit', r));
      const fields = ['ip.src', 'ip.dst', 'ip.ttl', 'ip.dsfield', 'vrrp.version', 'vrrp.prio', 'vrrp.checksum.status'];
      const r = spawnSync('tshark', ['-r', pcap, '-Y', 'vrrp', '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8' });
      return r.stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t'));
    },
  };
}

async function stopAll(): Promise<void> {
  for (const p of procs.splice(0)) {
    if (p.exitCode === null) {
      p.kill('SIGTERM');
      await sleep(50);
    }
  }
  spawnSync('sh', ['-c', `for n in ${NS.a} ${NS.b} ${NS.r}; do ip netns pids $n | xargs -r kill -9; done`]);
  for (const s of ['a', 'b'] as const) spawnSync('ip', ['-n', NS[s], 'addr', 'del', `${VIP}/32`, 'dev', IF[s]]);
  spawnSync('ip', ['-n', NS.r, 'addr', 'del', `${VIP}/32`, 'dev', R_IF]);
}

describe.skipIf(!canRun)('unicast VRRP across a router (TTL 254)', () => {
  beforeAll(() => {
    for (const n of Object.values(NS)) sh('ip', 'netns', 'add', n);
    for (const s of ['a', 'b'] as const) {
      sh('ip', 'link', 'add', IF[s], 'type', 'veth', 'peer', 'name', `${IF[s]}r`);
      sh('ip', 'link', 'set', IF[s], 'netns', NS[s]);
      sh('ip', 'link', 'set', `${IF[s]}r`, 'netns', NS.r);
      sh('ip', '-n', NS[s], 'link', 'set', IF[s], 'up');
      sh('ip', '-n', NS[s], 'link', 'set', 'lo', 'up');
      sh('ip', '-n', NS.r, 'link', 'set', `${IF[s]}r`, 'up');
    }
    sh('ip', '-n', NS.a, 'addr', 'add', `${A_PRIMARY}/24`, 'dev', IF.a);
    sh('ip', '-n', NS.a, 'addr', 'add', `${A_SRC}/24`, 'dev', IF.a); // secondary: never the kernel's choice
    sh('ip', '-n', NS.b, 'addr', 'add', `${B_SRC}/24`, 'dev', IF.b);
    sh('ip', '-n', NS.r, 'addr', 'add', '192.0.2.254/24', 'dev', `${IF.a}r`);
    sh('ip', '-n', NS.r, 'addr', 'add', '198.51.100.254/24', 'dev', `${IF.b}r`);
    sh('ip', '-n', NS.a, 'route', 'add', '198.51.100.0/24', 'via', '192.0.2.254');
    sh('ip', '-n', NS.b, 'route', 'add', '192.0.2.0/24', 'via', '198.51.100.254');
    sh('ip', 'netns', 'exec', NS.r, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    sh('ip', 'netns', 'exec', NS.a, 'ping', '-c', '1', '-W', '2', B_SRC);
  });
  afterEach(stopAll);
  afterAll(async () => {
    await stopAll();
    for (const n of Object.values(NS)) spawnSync('ip', ['netns', 'del', n]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const cases = [
    { version: 2, master: 'ts', backup: 'ka' },
    { version: 2, master: 'ka', backup: 'ts' },
    { version: 3, master: 'ts', backup: 'ka' },
    { version: 3, master: 'ka', backup: 'ts' },
  ] as const;

  it.skipIf(!haveKeepalived).each(cases)(
    'v$version, $master MASTER on A, $backup BACKUP on B: one MASTER, takeover after a crash, adverts arrive with TTL 254 from unicast_src_ip',
    async ({ version, master, backup }) => {
      const cap = await capture(`v${version}-${master}`);
      const overlap = watchOverlap(hasVip);
      const a = start(master, 'a', conf('a', { version, priority: 150 }));
      await waitFor(() => hasVip('a'), 15_000);
      await backupNow(start(backup, 'b', conf('b', { version, priority: 100 })));
      // Longer than the BACKUP's Master_Down_Interval (3 x 1 s + skew 0.61 s): it hears A or it would be MASTER.
      await sleep(4500);
      expect({ a: hasVip('a'), b: hasVip('b') }).toEqual({ a: true, b: false });
      const killedAt = Date.now();
      crash(await pidOf(a));
      await waitFor(() => hasVip('b'), 6000);
      const took = Date.now() - killedAt;
      console.log(`v${version} ${master} MASTER crashed -> ${backup} MASTER after ${took} ms (Master_Down_Interval 3609 ms)`);
      expect(took).toBeLessThanOrEqual(3609 + 400);
      await sleep(300);
      expect(overlap.stop()).toBeLessThan(1000);
      const pkts = await cap.stop();
      const fromA = pkts.filter((p) => p[0] === A_SRC);
      const fromB = pkts.filter((p) => p[0] === B_SRC);
      // Every advert of A came from its unicast_src_ip (never its primary address), routed once.
      expect(pkts.filter((p) => p[0] === A_PRIMARY)).toEqual([]);
      expect(fromA.length).toBeGreaterThanOrEqual(4);
      for (const [, dst, ttl, tos, ver, , ck] of fromA)
        expect({ dst, ttl, tos, ver, ck }).toEqual({ dst: B_SRC, ttl: '254', tos: '0xc0', ver: String(version), ck: version === 3 ? '1' : ck });
      // B's own adverts (as MASTER after the crash) leave with TTL 255 from its unicast_src_ip.
      expect(fromB.length).toBeGreaterThanOrEqual(1);
      for (const [, dst, ttl, tos, ver, , ck] of fromB)
        expect({ dst, ttl, tos, ver, ck }).toEqual({ dst: A_SRC, ttl: '255', tos: '0xc0', ver: String(version), ck: version === 3 ? '1' : ck });
    },
    40_000,
  );

  it("unicast_ttl sets the TTL adverts leave with; a peer's min_ttl/max_ttl accepts or drops them by it", async () => {
    const cap = await capture('ttl');
    start('ts', 'a', conf('a', { version: 3, priority: 150, extra: '  unicast_ttl 200\n' }));
    await waitFor(() => hasVip('a'), 15_000);
    // 200 sent, 199 after the router: inside [199, 199], B stays BACKUP.
    let b = start('ts', 'b', conf('b', { version: 3, priority: 100, peerOpts: ' min_ttl 199 max_ttl 199' }));
    await backupNow(b);
    await sleep(4500);
    expect({ a: hasVip('a'), b: hasVip('b') }).toEqual({ a: true, b: false });
    // min_ttl 200: every advert of A is dropped, B goes MASTER (a split brain the configuration asked for).
    process.kill(await pidOf(b), 'SIGTERM');
    await waitFor(() => b.proc.exitCode !== null, 5000);
    b = start('ts', 'b', conf('b', { version: 3, priority: 100, peerOpts: ' min_ttl 200' }));
    await backupNow(b);
    await waitFor(() => hasVip('b'), 6000);
    expect(fs.readFileSync(b.log, 'utf8')).toContain('(VI_1) TTL/HL 199 not in range 200 - 255');
    const pkts = await cap.stop();
    const ttls = new Set(pkts.filter((p) => p[0] === A_SRC).map((p) => p[2]));
    expect([...ttls]).toEqual(['199']);
  }, 40_000);

  it('check_unicast_src: adverts from an address that is not a configured peer are dropped', async () => {
    start('ts', 'a', conf('a', { version: 3, priority: 150 }));
    await waitFor(() => hasVip('a'), 15_000);
    // B's only peer is A's primary address; A sends from its unicast_src_ip.
    const b = start('ts', 'b', conf('b', { version: 3, priority: 100, peer: A_PRIMARY, extra: '  check_unicast_src\n' }));
    await backupNow(b);
    await waitFor(() => hasVip('b'), 6000);
    expect(fs.readFileSync(b.log, 'utf8')).toContain(`(VI_1) unicast source address ${A_SRC} not a unicast peer`);
  }, 30_000);

  it('unicast_fault_no_peer without peers: FAULT, no VIP, no advert sent', async () => {
    const cap = await capture('nopeer');
    const b = start('ts', 'b', conf('b', { version: 3, priority: 100, noPeers: true, extra: '  unicast_fault_no_peer\n' }));
    await waitFor(() => fs.readFileSync(b.log, 'utf8').includes('Entering FAULT STATE'), 15_000);
    await sleep(4500);
    expect(hasVip('b')).toBe(false);
    expect(fs.readFileSync(b.log, 'utf8')).toContain('(VI_1) Cannot use unicast without any peers - going to fault state');
    expect(fs.readFileSync(b.log, 'utf8')).not.toContain('Entering MASTER STATE');
    expect(await cap.stop()).toEqual([]);
  }, 30_000);

  it.skipIf(!haveKeepalived)(
    'multicast to another group: vrrp_mcast_group4 (tskeepalived) and mcast_dst_ip (keepalived) meet on 224.0.0.88, adverts from mcast_src_ip',
    async () => {
      const GROUP = '224.0.0.88';
      const pcap = path.join(dir, 'mcast.pcap');
      const cap = spawn('ip', ['netns', 'exec', NS.r, 'tshark', '-q', '-i', R_IF, '-w', pcap, '-f', 'ip proto 112'], { stdio: 'ignore' });
      procs.push(cap);
      await sleep(1500);
      const inst = (dev: string, priority: number, extra: string) =>
        `vrrp_instance VI_1 {\n  state BACKUP\n  interface ${dev}\n  virtual_router_id 62\n  priority ${priority}\n  advert_int 1\n  version 3\n${extra}  virtual_ipaddress {\n    ${VIP}/32\n  }\n}\n`;
      const fa = path.join(dir, 'mc-a.conf');
      const fr = path.join(dir, 'mc-r.conf');
      fs.writeFileSync(fa, `global_defs {\n  vrrp_mcast_group4 ${GROUP}\n}\n` + inst(IF.a, 150, `  mcast_src_ip ${A_SRC}\n`));
      fs.writeFileSync(fr, inst(R_IF, 100, `  mcast_dst_ip ${GROUP}\n`));
      const overlap = watchOverlap((s) => hasVip(s === 'a' ? 'a' : 'r'));
      start('ts', 'a', fa);
      await waitFor(() => hasVip('a'), 15_000);
      await backupNow(start('ka', 'r', fr));
      await sleep(4500);
      expect({ a: hasVip('a'), r: hasVip('r') }).toEqual({ a: true, r: false });
      expect(overlap.stop()).toBeLessThan(1000);
      cap.kill('SIGINT');
      await new Promise((r) => cap.once('exit', r));
      const out = spawnSync(
        'tshark',
        ['-r', pcap, '-Y', 'vrrp', '-T', 'fields', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'ip.ttl', '-e', 'vrrp.checksum.status'],
        { encoding: 'utf8' },
      ).stdout;
      const rows = [...new Set(out.trim().split('\n').filter(Boolean))];
      // Only tskeepalived's adverts: keepalived stayed BACKUP. Nothing went to 224.0.0.18.
      expect(rows).toEqual([`${A_SRC}\t${GROUP}\t255\t1`]);
    },
    40_000,
  );
});
