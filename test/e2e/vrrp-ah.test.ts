/**
 * VRRPv2 `auth_type AH` between tskeepalived and keepalived 2.2.7 in network namespaces: two directors
 * on a bridge (its own namespace), each side MASTER in turn, takeover after a crash of the MASTER, a
 * wrong auth_pass (both MASTER, the drops counted), and tshark's reading of our adverts. Needs root,
 * iproute2, keepalived and tshark; skips, saying so, otherwise. Documentation addresses (RFC 5737) inside
 * namespaces named with this test's pid, all removed in afterAll.
 * Timings: advert_int 1 s, priorities 150/100: the BACKUP's Master_Down_Interval is 3.609 s.
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
const have = (cmd: string, arg: string) => spawnSync(cmd, [arg]).status === 0;
const tools = have('ip', '-V') && fs.existsSync('/usr/sbin/keepalived') && have('tshark', '--version');
const canRun = root && tools && spawnSync('ip', ['netns', 'add', `tskahprobe${process.pid}`]).status === 0;
if (canRun) spawnSync('ip', ['netns', 'del', `tskahprobe${process.pid}`]);
if (!canRun) console.log('AH namespace tests skipped: they need root, iproute2 (ip netns), keepalived and tshark');

const tag = `${process.pid % 10000}`;
const NS = { a: `tskaha${tag}`, b: `tskahb${tag}`, sw: `tskahsw${tag}` };
const IF = { a: `tah${tag}a`, b: `tah${tag}b` };
const IP = { a: '192.0.2.1', b: '192.0.2.2' };
const VIP = '192.0.2.100';
const MASTER_DOWN_MS = 3609;
/** Start-up to MASTER: Node's start (seconds on a loaded 2-core machine) + Master_Down_Interval. */
const START_MS = 15_000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-ah-'));
const procs: ChildProcess[] = [];

function sh(...args: string[]): void {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
}

function conf(side: 'a' | 'b', priority: number, pass = 's3cret', unicast = false): string {
  const f = path.join(dir, `${side}-${priority}-${pass}${unicast ? '-uni' : ''}.conf`);
  const uni = unicast ? `  unicast_src_ip ${IP[side]}\n  unicast_peer {\n    ${IP[side === 'a' ? 'b' : 'a']}\n  }\n` : '';
  fs.writeFileSync(
    f,
    `vrrp_instance VI_1 {\n  state BACKUP\n  interface ${IF[side]}\n  virtual_router_id 51\n  priority ${priority}\n  advert_int 1\n${uni}  authentication {\n    auth_type AH\n    auth_pass ${pass}\n  }\n  virtual_ipaddress {\n    ${VIP}/24\n  }\n}\n`,
  );
  return f;
}

interface Daemon {
  proc: ChildProcess;
  log: string;
  pidFile: string;
  sock?: string;
}
let n = 0;

function startTs(side: 'a' | 'b', file: string): Daemon {
  const id = `ts-${side}-${++n}`;
  const log = path.join(dir, `${id}.log`);
  const pidFile = path.join(dir, `${id}.pid`);
  const sock = path.join(dir, `${id}.sock`);
  const out = fs.openSync(log, 'w');
  const proc = spawn(
    'ip',
    ['netns', 'exec', NS[side], process.execPath, BIN, '-n', '-l', '-f', file, '-p', pidFile, '-r', `${pidFile}.vrrp`, '--status-socket', sock],
    { stdio: ['ignore', out, out] },
  );
  procs.push(proc);
  return { proc, log, pidFile, sock };
}

function startKa(side: 'a' | 'b', file: string): Daemon {
  const id = `ka-${side}-${++n}`;
  const log = path.join(dir, `${id}.log`);
  const pidFile = path.join(dir, `${id}.pid`);
  const out = fs.openSync(log, 'w');
  const proc = spawn(
    'ip',
    ['netns', 'exec', NS[side], 'keepalived', '-n', '-l', '-D', '-f', file, '-p', pidFile, '-r', `${pidFile}.vrrp`, '-c', `${pidFile}.check`],
    { stdio: ['ignore', out, out] },
  );
  procs.push(proc);
  return { proc, log, pidFile };
}

function hasVip(side: 'a' | 'b'): boolean {
  const r = spawnSync('ip', ['-n', NS[side], '-4', '-o', 'addr', 'show', 'dev', IF[side]], { encoding: 'utf8' });
  return r.stdout.includes(`${VIP}/`);
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (cond()) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pidOf = (d: Daemon) => Number(fs.readFileSync(d.pidFile, 'utf8'));

/** The VRRP instance's drop counters from `status --json`. */
function drops(d: Daemon): Record<string, number> {
  const r = spawnSync(process.execPath, [BIN, 'status', '--json', '--status-socket', d.sock!], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`status: ${r.stderr}`);
  const s = JSON.parse(r.stdout) as { vrrp: Array<{ name: string; stats: { drops: Record<string, number> } }> };
  return s.vrrp.find((i) => i.name === 'VI_1')!.stats.drops;
}

/** A capture of AH on the bridge; stop() ends it and returns tshark's reading of every AH packet. */
function capture(): {
  stop(): Promise<Array<{ src: string; protocols: string; spi: string; seq: number; prio: number; vrrpChecksum: string; expert: string }>>;
} {
  const file = path.join(dir, `cap-${++n}.pcapng`);
  const p = spawn('ip', ['netns', 'exec', NS.sw, 'tshark', '-q', '-i', 'br0', '-f', 'ip proto 51', '-w', file], { stdio: 'ignore' });
  procs.push(p);
  return {
    async stop() {
      await sleep(300);
      p.kill('SIGINT');
      await new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)));
      const fields = ['ip.src', 'frame.protocols', 'ah.spi', 'ah.sequence', 'vrrp.prio', 'vrrp.checksum.status', '_ws.expert'];
      const r = spawnSync('tshark', ['-r', file, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8' });
      return r.stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [src, protocols, spi, seq, prio, vrrpChecksum, expert] = l.split('\t');
          return { src: src!, protocols: protocols!, spi: spi!, seq: Number(seq), prio: Number(prio), vrrpChecksum: vrrpChecksum!, expert: expert ?? '' };
        });
    },
  };
}

async function stopAll(): Promise<void> {
  for (const p of procs.splice(0)) if (p.exitCode === null) p.kill('SIGTERM');
  await sleep(300);
  spawnSync('sh', ['-c', `for n in ${NS.a} ${NS.b} ${NS.sw}; do ip netns pids $n | xargs -r kill -9; done`]);
  for (const s of ['a', 'b'] as const) spawnSync('ip', ['-n', NS[s], 'addr', 'del', `${VIP}/24`, 'dev', IF[s]]);
}

describe.skipIf(!canRun)('VRRPv2 AH authentication against keepalived 2.2.7', () => {
  beforeAll(() => {
    sh('ip', 'netns', 'add', NS.sw);
    sh('ip', '-n', NS.sw, 'link', 'add', 'br0', 'type', 'bridge');
    sh('ip', '-n', NS.sw, 'link', 'set', 'br0', 'up');
    for (const s of ['a', 'b'] as const) {
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
  afterEach(stopAll);
  afterAll(async () => {
    await stopAll();
    for (const ns of Object.values(NS)) spawnSync('ip', ['netns', 'del', ns]);
    if (!process.env.KEEP_TEST_DIR) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('tskeepalived MASTER, keepalived BACKUP: keepalived accepts our adverts; kill -9 of ours moves the VIP; tshark reads valid AH + VRRP', async () => {
    const cap = capture();
    await sleep(500);
    const a = startTs('a', conf('a', 150));
    await waitFor(() => hasVip('a'), START_MS, 'tskeepalived MASTER');
    const overlap = watchOverlap(hasVip);
    const b = startKa('b', conf('b', 100));
    await sleep(6000); // longer than the BACKUP's Master_Down_Interval: it hears and accepts our adverts
    expect({ a: hasVip('a'), b: hasVip('b') }).toEqual({ a: true, b: false });
    // A crashed MASTER leaves its VIP behind (nobody removes it): the watch ends here.
    expect(overlap.stop()).toBe(0);
    const killedAt = Date.now();
    crash(pidOf(a));
    await waitFor(() => hasVip('b'), 6000, 'keepalived takes over');
    const took = Date.now() - killedAt;
    console.log(`kill -9 of tskeepalived -> keepalived holds the VIP after ${took} ms (bound ${MASTER_DOWN_MS + 400} ms)`);
    expect(took).toBeLessThanOrEqual(MASTER_DOWN_MS + 400);
    await sleep(1500);
    const pkts = await cap.stop();
    const ours = pkts.filter((p) => p.src === IP.a);
    const theirs = pkts.filter((p) => p.src === IP.b);
    expect(ours.length).toBeGreaterThanOrEqual(6);
    for (const p of ours)
      expect({ protocols: p.protocols, spi: p.spi, prio: p.prio, vrrpChecksum: p.vrrpChecksum, expert: p.expert }).toEqual({
        protocols: 'eth:ethertype:ip:ah:vrrp',
        spi: '0xc0000201',
        prio: 150,
        vrrpChecksum: '1',
        expert: '',
      });
    expect(ours.map((p) => p.seq)).toEqual(ours.map((_, i) => i + 1));
    expect(fs.readFileSync(b.log, 'utf8')).not.toMatch(/IPSEC-AH|IPSEC AH/);
    // keepalived's BACKUP took on our sequence and goes on from it as MASTER.
    expect(theirs[0]!.seq).toBe(ours.at(-1)!.seq + 1);
  }, 40_000);

  it('keepalived MASTER, tskeepalived BACKUP: we accept its adverts; kill -9 of keepalived moves the VIP to us', async () => {
    const cap = capture();
    await sleep(500);
    const a = startKa('a', conf('a', 150));
    await waitFor(() => hasVip('a'), START_MS, 'keepalived MASTER');
    const overlap = watchOverlap(hasVip);
    const b = startTs('b', conf('b', 100));
    await sleep(6000);
    expect({ a: hasVip('a'), b: hasVip('b') }).toEqual({ a: true, b: false });
    expect(drops(b)).toMatchObject({ authMismatch: 0, authType: 0, ahSequence: 0 });
    // A crashed MASTER leaves its VIP behind (nobody removes it): the watch ends here.
    expect(overlap.stop()).toBe(0);
    const killedAt = Date.now();
    crash(pidOf(a));
    await waitFor(() => hasVip('b'), 6000, 'tskeepalived takes over');
    const took = Date.now() - killedAt;
    console.log(`kill -9 of keepalived -> tskeepalived holds the VIP after ${took} ms (bound ${MASTER_DOWN_MS + 400} ms)`);
    expect(took).toBeLessThanOrEqual(MASTER_DOWN_MS + 400);
    await sleep(1500);
    const pkts = await cap.stop();
    const theirs = pkts.filter((p) => p.src === IP.a);
    const ours = pkts.filter((p) => p.src === IP.b);
    expect(ours.length).toBeGreaterThanOrEqual(1);
    for (const p of ours)
      expect({ protocols: p.protocols, spi: p.spi, prio: p.prio, vrrpChecksum: p.vrrpChecksum }).toEqual({
        protocols: 'eth:ethertype:ip:ah:vrrp',
        spi: '0xc0000202',
        prio: 100,
        vrrpChecksum: '1',
      });
    expect(ours[0]!.seq).toBe(theirs.at(-1)!.seq + 1);
  }, 40_000);

  it('keepalived started next to our MASTER takes on our sequence (its counter starts at 0) and preempts us, with no drop on either side', async () => {
    const b = startTs('b', conf('b', 100));
    await waitFor(() => hasVip('b'), START_MS, 'tskeepalived MASTER');
    await sleep(2000);
    const overlap = watchOverlap(hasVip);
    const a = startKa('a', conf('a', 150));
    await waitFor(() => hasVip('a') && !hasVip('b'), START_MS, 'keepalived preempts');
    await sleep(3000);
    expect({ a: hasVip('a'), b: hasVip('b') }).toEqual({ a: true, b: false });
    // The handover itself: keepalived adds the VIP before we hear its first advert.
    const both = overlap.stop();
    console.log(`preemption: both held the VIP for ${both} ms (bound one advert interval, 1000 ms)`);
    expect(both).toBeLessThan(1000);
    expect(drops(b)).toMatchObject({ authMismatch: 0, ahSequence: 0 });
    expect(fs.readFileSync(a.log, 'utf8')).not.toMatch(/IPSEC-AH|IPSEC AH/);
  }, 30_000);

  it('unicast peers: keepalived accepts ours and we accept its (the TTL out of the ICV), over a crash and a return', async () => {
    const a = startTs('a', conf('a', 150, 's3cret', true));
    await waitFor(() => hasVip('a'), START_MS, 'tskeepalived MASTER');
    const overlap = watchOverlap(hasVip);
    const b = startKa('b', conf('b', 100, 's3cret', true));
    await sleep(6000);
    expect({ a: hasVip('a'), b: hasVip('b') }).toEqual({ a: true, b: false });
    expect(overlap.stop()).toBe(0);
    crash(pidOf(a));
    await waitFor(() => hasVip('b'), 6000, 'keepalived takes over');
    spawnSync('ip', ['-n', NS.a, 'addr', 'del', `${VIP}/24`, 'dev', IF.a]); // what the crash left behind
    // A fresh tskeepalived (sequence counter 0) takes on keepalived's numbers and preempts it.
    const a2 = startTs('a', conf('a', 150, 's3cret', true));
    await waitFor(() => hasVip('a') && !hasVip('b'), START_MS, 'tskeepalived preempts');
    await sleep(2000);
    expect({ a: hasVip('a'), b: hasVip('b') }).toEqual({ a: true, b: false });
    expect(drops(a2)).toMatchObject({ authMismatch: 0, ahSequence: 0, ttl: 0 });
    expect(fs.readFileSync(b.log, 'utf8')).not.toMatch(/IPSEC-AH|IPSEC AH/);
  }, 60_000);

  it('a wrong auth_pass: the adverts are dropped and counted (authMismatch), both become MASTER, keepalived logs the bad ICV', async () => {
    const a = startTs('a', conf('a', 150, 'right'));
    const b = startKa('b', conf('b', 100, 'wrong'));
    await waitFor(() => hasVip('a') && hasVip('b'), START_MS, 'both MASTER');
    await sleep(3000);
    expect({ a: hasVip('a'), b: hasVip('b') }).toEqual({ a: true, b: true });
    // keepalived's MASTER, next to a higher priority it cannot authenticate, was seen sending one advert in
    // four seconds here (how many depends on the two routers' timing): the count is awaited, not sampled.
    // Seen: one advert in 15 s from keepalived's MASTER in this situation, so one drop is what is required.
    await waitFor(() => drops(a).authMismatch >= 2, 15_000, 'two adverts dropped for their ICV').catch(() => undefined);
    const d = drops(a);
    console.log(`tskeepalived drops with a wrong key: ${JSON.stringify(d)}`);
    expect(d.authMismatch).toBeGreaterThanOrEqual(1);
    expect(fs.readFileSync(b.log, 'utf8')).toContain('IPSEC-AH : invalid IPSEC HMAC-MD5 value');
  }, 45_000);
});
