/**
 * The VRRP process following the kernel (rtnetlink notifications), in network namespaces next to
 * keepalived 2.2.7: a VIP or virtual route deleted behind the MASTER's back (keepalived's step-down and
 * re-election, measured side by side with keepalived in the same role), `no_track`, static_ipaddress and
 * static_routes put back, an interface deleted and recreated under a running instance, link state from
 * events, and the opt-in tskeepalived_restore_deleted_vips. Two directors on a bridge in its own namespace
 * (so one side's veth can be deleted and recreated without touching the other). Needs root, iproute2 and
 * keepalived; skips, saying so, otherwise. Documentation addresses (RFC 5737).
 * Timings: advert_int 1 s, priorities 150/100: Master_Down_Interval of the BACKUP 3.609 s.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sh, sleep, waitFor } from '../helpers/netns.js';

const BIN = path.resolve(__dirname, '../../bin/tskeepalived.js');
const root = process.getuid?.() === 0;
const canRun = root && fs.existsSync('/usr/sbin/keepalived') && spawnSync('ip', ['netns', 'add', `tskevprobe${process.pid}`]).status === 0;
if (canRun) spawnSync('ip', ['netns', 'del', `tskevprobe${process.pid}`]);
if (!canRun) console.log('kernel event namespace tests skipped: they need root, iproute2 (ip netns) and keepalived');

const tag = `${process.pid % 10000}`;
const NS = { a: `tskeva${tag}`, b: `tskevb${tag}`, sw: `tskevsw${tag}` };
const IF = { a: `tev${tag}a`, b: `tev${tag}b` };
const IP = { a: '192.0.2.1', b: '192.0.2.2' };
const VIP = '192.0.2.100';
const VIP_NT = '192.0.2.101';
const STATIC = '192.0.2.77';
const MASTER_DOWN_MS = 3609;
const START_MS = 15_000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-ev-'));
const procs: ChildProcess[] = [];

/** Side a's veth: created, put on the bridge, addressed and up (also after a deletion). */
function plug(s: 'a' | 'b'): void {
  sh('ip', 'link', 'add', IF[s], 'type', 'veth', 'peer', 'name', `${IF[s]}p`);
  sh('ip', 'link', 'set', `${IF[s]}p`, 'netns', NS.sw);
  sh('ip', '-n', NS.sw, 'link', 'set', `${IF[s]}p`, 'master', 'br0');
  sh('ip', '-n', NS.sw, 'link', 'set', `${IF[s]}p`, 'up');
  sh('ip', 'link', 'set', IF[s], 'netns', NS[s]);
  sh('ip', '-n', NS[s], 'addr', 'add', `${IP[s]}/24`, 'dev', IF[s]);
  sh('ip', '-n', NS[s], 'link', 'set', IF[s], 'up');
}

function conf(side: 'a' | 'b', priority: number, extra: { statics?: boolean; restore?: boolean } = {}): string {
  const f = path.join(dir, `${side}-${priority}-${extra.statics ? 's' : ''}${extra.restore ? 'r' : ''}.conf`);
  const ifn = IF[side];
  const g = extra.restore ? 'global_defs {\n  tskeepalived_restore_deleted_vips\n}\n' : '';
  const statics = extra.statics
    ? `static_ipaddress {\n  ${STATIC}/32 dev ${ifn}\n}\nstatic_routes {\n  203.0.113.0/24 via ${IP[side === 'a' ? 'b' : 'a']} dev ${ifn}\n}\n`
    : '';
  fs.writeFileSync(
    f,
    `${g}${statics}vrrp_instance VI_1 {\n  state BACKUP\n  interface ${ifn}\n  virtual_router_id 51\n  priority ${priority}\n  advert_int 1\n` +
      `  virtual_ipaddress {\n    ${VIP}/32\n    ${VIP_NT}/32 no_track\n  }\n  virtual_routes {\n    198.51.100.0/24 via ${IP[side === 'a' ? 'b' : 'a']} dev ${ifn}\n  }\n}\n`,
  );
  return f;
}

interface Daemon {
  proc: ChildProcess;
  log: string;
  pidFile: string;
}
let n = 0;

function start(kind: 'ts' | 'ka', side: 'a' | 'b', file: string): Daemon {
  const id = `${kind}-${side}-${++n}`;
  const log = path.join(dir, `${id}.log`);
  const pidFile = path.join(dir, `${id}.pid`);
  const out = fs.openSync(log, 'w');
  const args =
    kind === 'ts'
      ? [process.execPath, BIN, '-n', '-l', '-f', file, '-p', pidFile, '-r', `${pidFile}.vrrp`]
      : ['keepalived', '-n', '-l', '-D', '-P', '-f', file, '-p', pidFile, '-r', `${pidFile}.vrrp`];
  const proc = spawn('ip', ['netns', 'exec', NS[side], ...args], { stdio: ['ignore', out, out] });
  procs.push(proc);
  return { proc, log, pidFile };
}

function addrs(side: 'a' | 'b'): string {
  return spawnSync('ip', ['-n', NS[side], '-4', '-o', 'addr', 'show'], { encoding: 'utf8' }).stdout;
}
const has = (side: 'a' | 'b', ip = VIP) => addrs(side).includes(` ${ip}/`);
const routes = (side: 'a' | 'b') => spawnSync('ip', ['-n', NS[side], 'route'], { encoding: 'utf8' }).stdout;
const logOf = (d: Daemon) => fs.readFileSync(d.log, 'utf8');

async function stopAll(): Promise<void> {
  for (const p of procs.splice(0)) if (p.exitCode === null) p.kill('SIGTERM');
  await sleep(500);
  spawnSync('sh', ['-c', `for n in ${NS.a} ${NS.b}; do ip netns pids $n | xargs -r kill -9; done`]);
  for (const s of ['a', 'b'] as const) for (const ip of [VIP, VIP_NT, STATIC]) spawnSync('ip', ['-n', NS[s], 'addr', 'del', `${ip}/32`, 'dev', IF[s]]);
}

/**
 * The VIP deleted on side a's MASTER; resolves with the time until the pair is back to exactly one
 * holder (a) and stays so for 1.5 s, and whether b ever held it meanwhile.
 */
async function deleteVipAndSettle(): Promise<{ settledMs: number; bHeld: boolean }> {
  let bHeld = false;
  const t0 = Date.now();
  sh('ip', '-n', NS.a, 'addr', 'del', `${VIP}/32`, 'dev', IF.a);
  let settledAt = 0;
  while (Date.now() - t0 < 12_000) {
    const a = has('a');
    const b = has('b');
    if (b) bHeld = true;
    if (a !== b) {
      if (settledAt === 0) settledAt = Date.now();
      if (a && Date.now() - settledAt >= 1500) return { settledMs: settledAt - t0, bHeld };
    } else settledAt = 0;
    await sleep(10);
  }
  throw new Error('the pair did not settle on one holder within 12 s');
}

describe.skipIf(!canRun)('kernel events: deleted VIPs, routes, statics, recreated interfaces (next to keepalived 2.2.7)', () => {
  beforeAll(() => {
    sh('ip', 'netns', 'add', NS.sw);
    sh('ip', '-n', NS.sw, 'link', 'add', 'br0', 'type', 'bridge');
    sh('ip', '-n', NS.sw, 'link', 'set', 'br0', 'up');
    for (const s of ['a', 'b'] as const) {
      sh('ip', 'netns', 'add', NS[s]);
      sh('ip', '-n', NS[s], 'link', 'set', 'lo', 'up');
      plug(s);
    }
  });
  afterEach(stopAll);
  afterAll(async () => {
    await stopAll();
    for (const ns of Object.values(NS)) spawnSync('ip', ['netns', 'del', ns]);
    if (!process.env.KEEP_TEST_DIR) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a VIP deleted behind the MASTER: a no_track one changes nothing; a tracked one ends with one holder within a Master_Down_Interval, as keepalived does', async () => {
    const results: Record<string, number> = {};
    for (const kind of ['ka', 'ts'] as const) {
      const a = start(kind, 'a', conf('a', 150));
      await waitFor(() => has('a'), START_MS, `${kind} MASTER`);
      start('ka', 'b', conf('b', 100));
      await sleep(5000);
      expect({ a: has('a'), b: has('b') }).toEqual({ a: true, b: false });
      if (kind === 'ts') {
        sh('ip', '-n', NS.a, 'addr', 'del', `${VIP_NT}/32`, 'dev', IF.a);
        await sleep(1500);
        expect({ vip: has('a'), b: has('b'), nt: has('a', VIP_NT) }).toEqual({ vip: true, b: false, nt: false });
        expect(logOf(a)).not.toContain(`Netlink reports IP ${VIP_NT}`);
        expect(logOf(a).match(/Entering BACKUP STATE/g)).toHaveLength(1); // the start, nothing since
      }
      const r = await deleteVipAndSettle();
      results[kind] = r.settledMs;
      console.log(
        `${kind === 'ts' ? 'tskeepalived' : 'keepalived'} MASTER, VIP deleted: one holder again after ${r.settledMs} ms (the BACKUP ${r.bHeld ? 'took it meanwhile' : 'never held it'})`,
      );
      expect(r.settledMs).toBeLessThan(MASTER_DOWN_MS);
      if (kind === 'ts') {
        expect(logOf(a)).toContain(`Netlink reports IP ${VIP} removed from ${IF.a}`);
        expect(logOf(a)).toMatch(/\(VI_1\) Entering BACKUP STATE[\s\S]*\(VI_1\) Entering MASTER STATE/);
      }
      await stopAll();
    }
    console.log(`VIP deletion to one holder: tskeepalived ${results.ts} ms, keepalived ${results.ka} ms`);
  }, 90_000);

  it('a virtual route deleted behind the MASTER: it steps down and the re-election puts the route back', async () => {
    const a = start('ts', 'a', conf('a', 150));
    await waitFor(() => has('a') && routes('a').includes('198.51.100.0/24'), START_MS, 'MASTER with its route');
    sh('ip', '-n', NS.a, 'route', 'del', '198.51.100.0/24');
    await waitFor(() => logOf(a).includes('virtual route 198.51.100.0/24'), 2000, 'the deletion noticed');
    await waitFor(() => routes('a').includes('198.51.100.0/24') && has('a'), MASTER_DOWN_MS, 'the route back after the re-election');
  }, 40_000);

  it('static_ipaddress and static_routes: installed at start, put back when deleted, removed at stop', async () => {
    const a = start('ts', 'a', conf('a', 150, { statics: true }));
    await waitFor(() => has('a', STATIC) && routes('a').includes('203.0.113.0/24'), START_MS, 'statics installed');
    sh('ip', '-n', NS.a, 'addr', 'del', `${STATIC}/32`, 'dev', IF.a);
    sh('ip', '-n', NS.a, 'route', 'del', '203.0.113.0/24');
    const back = await waitFor(() => has('a', STATIC) && routes('a').includes('203.0.113.0/24'), 1000, 'statics put back');
    console.log(`static address and route put back ${back} ms after their deletion`);
    expect(logOf(a)).toContain(`Restoring deleted static address ${STATIC} dev ${IF.a}`);
    a.proc.kill('SIGTERM');
    await waitFor(() => a.proc.exitCode !== null, 5000, 'stopped');
    expect({ addr: has('a', STATIC), route: routes('a').includes('203.0.113.0/24') }).toEqual({ addr: false, route: false });
  }, 40_000);

  it('link state from events: an interface set down puts the MASTER in FAULT at once, and back', async () => {
    const a = start('ts', 'a', conf('a', 150));
    await waitFor(() => has('a'), START_MS, 'MASTER');
    const t0 = Date.now();
    sh('ip', '-n', NS.a, 'link', 'set', IF.a, 'down');
    await waitFor(() => logOf(a).includes('Entering FAULT STATE'), 2000, 'FAULT');
    const took = Date.now() - t0;
    console.log(`link down -> FAULT logged after ${took} ms`);
    expect(took).toBeLessThan(1000);
    sh('ip', '-n', NS.a, 'link', 'set', IF.a, 'up');
    await waitFor(() => has('a'), MASTER_DOWN_MS + 2000, 'MASTER again');
  }, 40_000);

  it('an interface deleted and recreated under a running MASTER (keepalived BACKUP watching): FAULT, then new sockets and MASTER again', async () => {
    const a = start('ts', 'a', conf('a', 150, { statics: true }));
    await waitFor(() => has('a'), START_MS, 'MASTER');
    start('ka', 'b', conf('b', 100));
    await sleep(5000);
    sh('ip', '-n', NS.a, 'link', 'del', IF.a);
    await waitFor(() => has('b'), MASTER_DOWN_MS + 1000, 'keepalived takes over');
    await sleep(500);
    plug('a');
    await waitFor(() => has('a') && !has('b'), MASTER_DOWN_MS * 2 + 2000, 'our MASTER back (preempting keepalived)');
    await sleep(3000);
    expect({ a: has('a'), b: has('b'), static: has('a', STATIC) }).toEqual({ a: true, b: false, static: true });
    expect(logOf(a)).toContain('was recreated: reopening the instance');
  }, 60_000);

  it('tskeepalived_restore_deleted_vips: the VIP is put back at once, with no step-down', async () => {
    const a = start('ts', 'a', conf('a', 150, { restore: true }));
    await waitFor(() => has('a'), START_MS, 'MASTER');
    start('ka', 'b', conf('b', 100));
    await sleep(5000);
    sh('ip', '-n', NS.a, 'addr', 'del', `${VIP}/32`, 'dev', IF.a);
    const back = await waitFor(() => has('a'), 1000, 'VIP put back');
    console.log(`restore_deleted_vips: VIP back after ${back} ms`);
    await sleep(2000);
    expect({ a: has('a'), b: has('b') }).toEqual({ a: true, b: false });
    expect(logOf(a).match(/Entering (BACKUP|MASTER) STATE/g)).toEqual(['Entering BACKUP STATE', 'Entering MASTER STATE']);
  }, 40_000);

  it('unicast_src_ip not on the interface: FAULT as keepalived ("src address not configured"); unlike keepalived, MASTER once the address is added', async () => {
    const f = path.join(dir, 'src.conf');
    fs.writeFileSync(
      f,
      `vrrp_instance VI_1 {\n  state BACKUP\n  interface ${IF.a}\n  virtual_router_id 51\n  priority 150\n  advert_int 1\n  unicast_src_ip 192.0.2.9\n  unicast_peer {\n    ${IP.b}\n  }\n  virtual_ipaddress {\n    ${VIP}/32\n  }\n}\n`,
    );
    const a = start('ts', 'a', f);
    await waitFor(() => logOf(a).includes('Entering FAULT STATE'), START_MS, 'FAULT');
    expect(logOf(a)).toContain('source address 192.0.2.9 (not configured on');
    await sleep(1500);
    expect(has('a')).toBe(false);
    sh('ip', '-n', NS.a, 'addr', 'add', '192.0.2.9/24', 'dev', IF.a);
    try {
      await waitFor(() => has('a'), MASTER_DOWN_MS + 2000, 'MASTER once the address is there');
    } finally {
      spawnSync('ip', ['-n', NS.a, 'addr', 'del', '192.0.2.9/24', 'dev', IF.a]);
    }
  }, 40_000);

  it('dynamic_interfaces: an instance whose interface does not exist at start waits in FAULT and starts when it appears', async () => {
    const dyn = `tevd${tag}`;
    const f = path.join(dir, 'dyn.conf');
    fs.writeFileSync(
      f,
      `global_defs {\n  dynamic_interfaces\n}\nvrrp_instance VI_1 {\n  state MASTER\n  interface ${dyn}\n  virtual_router_id 51\n  priority 150\n  advert_int 1\n  virtual_ipaddress {\n    ${VIP}/32\n  }\n}\n`,
    );
    const a = start('ts', 'a', f);
    await waitFor(() => logOf(a).includes('Entering FAULT STATE'), START_MS, 'FAULT while the interface is missing');
    expect(logOf(a)).not.toContain('not acted on');
    try {
      sh('ip', '-n', NS.a, 'link', 'add', dyn, 'type', 'veth', 'peer', 'name', `${dyn}p`);
      sh('ip', '-n', NS.a, 'addr', 'add', '198.51.100.1/24', 'dev', dyn);
      sh('ip', '-n', NS.a, 'link', 'set', dyn, 'up');
      sh('ip', '-n', NS.a, 'link', 'set', `${dyn}p`, 'up');
      await waitFor(
        () => spawnSync('ip', ['-n', NS.a, '-o', 'addr', 'show', 'dev', dyn], { encoding: 'utf8' }).stdout.includes(` ${VIP}/`),
        8000,
        'MASTER on the new interface',
      );
    } finally {
      spawnSync('ip', ['-n', NS.a, 'link', 'del', dyn]);
    }
  }, 40_000);

  it('an interface without carrier at start (IPv6 off: no address notification comes with the link): FAULT saying it is down, MASTER once it is up', async () => {
    const ifn = `tevc${tag}`;
    const f = path.join(dir, 'carrier.conf');
    fs.writeFileSync(
      f,
      `vrrp_instance VI_1 {\n  state MASTER\n  interface ${ifn}\n  virtual_router_id 52\n  priority 150\n  advert_int 1\n  virtual_ipaddress {\n    ${VIP}/32\n  }\n}\n`,
    );
    try {
      sh('ip', '-n', NS.a, 'link', 'add', ifn, 'type', 'veth', 'peer', 'name', `${ifn}p`);
      for (const i of [ifn, `${ifn}p`]) sh('ip', 'netns', 'exec', NS.a, 'sysctl', '-qw', `net.ipv6.conf.${i}.disable_ipv6=1`);
      sh('ip', '-n', NS.a, 'addr', 'add', '198.51.100.1/24', 'dev', ifn);
      sh('ip', '-n', NS.a, 'link', 'set', ifn, 'up');
      const a = start('ts', 'a', f);
      await waitFor(() => logOf(a).includes('Entering FAULT STATE'), START_MS, 'FAULT while the link has no carrier');
      expect(logOf(a)).toContain(`(interface ${ifn} is down)`);
      sh('ip', '-n', NS.a, 'link', 'set', `${ifn}p`, 'up');
      await waitFor(
        () => spawnSync('ip', ['-n', NS.a, '-o', 'addr', 'show', 'dev', ifn], { encoding: 'utf8' }).stdout.includes(` ${VIP}/`),
        8000,
        'MASTER once the link is up',
      );
    } finally {
      spawnSync('ip', ['-n', NS.a, 'link', 'del', ifn]);
    }
  }, 40_000);
});
