/**
 * VRRP keywords acted on against the real kernel, in network namespaces: startup_script/shutdown_script
 * (run around the children, in order), vrrp_startup_delay, promote_secondaries (the sysctl set and put
 * back; a VIP in the interface's subnet survives the deletion of the primary address), and
 * down_timer_adverts (a BACKUP with 1 takes over from a crashed keepalived MASTER after one interval plus
 * skew instead of three), lower_prio_no_advert and higher_prio_send_advert on the wire (a keepalived that
 * sends VRRPv3 adverts by unicast to our MASTER and cannot hear its multicast ones plays the other
 * master; tshark counts our adverts). Needs root, iproute2 and keepalived (and tshark for the wire
 * tests); skips, saying so, otherwise.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sh, sleep, waitFor } from '../helpers/netns.js';
import { crash } from '../helpers/crash.js';

const BIN = path.resolve(__dirname, '../../bin/tskeepalived.js');
const root = process.getuid?.() === 0;
const canRun = root && fs.existsSync('/usr/sbin/keepalived') && spawnSync('ip', ['netns', 'add', `tskkwprobe${process.pid}`]).status === 0;
if (canRun) spawnSync('ip', ['netns', 'del', `tskkwprobe${process.pid}`]);
if (!canRun) console.log('VRRP keyword namespace tests skipped: they need root, iproute2 (ip netns) and keepalived');

const tag = `${process.pid % 10000}`;
const NS = { a: `tskkwa${tag}`, b: `tskkwb${tag}` };
const IF = 'veth0';
const IP = { a: '192.0.2.1', b: '192.0.2.2' };
const VIP = '192.0.2.100';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-kw-'));
const procs: ChildProcess[] = [];

function write(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
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
      ? [process.execPath, BIN, '-n', '-l', '-f', file, '-p', pidFile, '-r', `${pidFile}.vrrp`, '--status-socket', `${pidFile}.sock`]
      : ['keepalived', '-n', '-l', '-P', '-f', file, '-p', pidFile, '-r', `${pidFile}.vrrp`];
  const proc = spawn('ip', ['netns', 'exec', NS[side], ...args], { stdio: ['ignore', out, out] });
  procs.push(proc);
  return { proc, log, pidFile };
}
const logOf = (d: Daemon) => fs.readFileSync(d.log, 'utf8');
/** Adverts sent so far by the daemon's instance (status --json). */
function advertTx(d: Daemon): number {
  const r = spawnSync(process.execPath, [BIN, 'status', '--json', '--status-socket', `${d.pidFile}.sock`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`status: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { vrrp: Array<{ stats: { advertTx: number } }> }).vrrp[0]!.stats.advertTx;
}
const has = (side: 'a' | 'b', what = ` ${VIP}/`) =>
  spawnSync('ip', ['-n', NS[side], '-4', '-o', 'addr', 'show', 'dev', IF], { encoding: 'utf8' }).stdout.includes(what);
const sysctl = (key: string) => spawnSync('ip', ['netns', 'exec', NS.a, 'cat', `/proc/sys/${key}`], { encoding: 'utf8' }).stdout.trim();

function instance(priority: number, extra = '', vip = `${VIP}/32`): string {
  return `vrrp_instance VI_1 {\n  state BACKUP\n  interface ${IF}\n  virtual_router_id 52\n  priority ${priority}\n  advert_int 1\n${extra}  virtual_ipaddress {\n    ${vip}\n  }\n}\n`;
}

async function stopAll(): Promise<void> {
  for (const p of procs.splice(0)) if (p.exitCode === null) p.kill('SIGTERM');
  await sleep(500);
  spawnSync('sh', ['-c', `for n in ${NS.a} ${NS.b}; do ip netns pids $n | xargs -r kill -9; done`]);
  for (const s of ['a', 'b'] as const) {
    spawnSync('ip', ['-n', NS[s], 'addr', 'flush', 'dev', IF]);
    spawnSync('ip', ['-n', NS[s], 'addr', 'add', `${IP[s]}/24`, 'dev', IF]);
  }
}

const haveTshark = spawnSync('tshark', ['--version']).status === 0;

/** The adverts on a's wire for `ms`, as tshark reads them: [seconds, priority, source][]. */
async function adverts(ms: number, ready?: () => void): Promise<Array<[number, number, string]>> {
  const pcap = path.join(dir, `cap-${++n}.pcap`);
  const cap = spawn('ip', ['netns', 'exec', NS.a, 'tshark', '-q', '-i', IF, '-f', 'ip proto 112', '-w', pcap], { stdio: 'ignore' });
  procs.push(cap);
  // Capturing once the file has its header.
  await waitFor(() => fs.existsSync(pcap) && fs.statSync(pcap).size > 0, 15_000, 'tshark capturing');
  await sleep(300);
  ready?.();
  await sleep(ms);
  cap.kill('SIGINT');
  await new Promise((r) => (cap.exitCode !== null ? r(null) : cap.once('exit', r)));
  const r = spawnSync('tshark', ['-r', pcap, '-T', 'fields', '-e', 'frame.time_relative', '-e', 'vrrp.prio', '-e', 'ip.src'], { encoding: 'utf8' });
  return r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [t, p, src] = l.split('\t');
      return [Number(t), Number(p), src!] as [number, number, string];
    });
}

/** keepalived on b, VRRPv3, advertising by unicast to a (it does not join the group, so it never hears a). */
function otherMaster(priority: number): string {
  return write(
    `other-${priority}.conf`,
    `vrrp_instance VI_1 {\n  state MASTER\n  interface ${IF}\n  virtual_router_id 52\n  version 3\n  priority ${priority}\n  advert_int 1\n  unicast_src_ip ${IP.b}\n  unicast_peer {\n    ${IP.a}\n  }\n  virtual_ipaddress {\n    ${VIP}/32\n  }\n}\n`,
  );
}

describe.skipIf(!canRun)('VRRP keywords against the kernel', () => {
  beforeAll(() => {
    for (const s of ['a', 'b'] as const) sh('ip', 'netns', 'add', NS[s]);
    sh('ip', '-n', NS.a, 'link', 'add', IF, 'type', 'veth', 'peer', 'name', IF, 'netns', NS.b);
    for (const s of ['a', 'b'] as const) {
      sh('ip', '-n', NS[s], 'addr', 'add', `${IP[s]}/24`, 'dev', IF);
      sh('ip', '-n', NS[s], 'link', 'set', IF, 'up');
      sh('ip', '-n', NS[s], 'link', 'set', 'lo', 'up');
    }
  });
  afterEach(stopAll);
  afterAll(async () => {
    await stopAll();
    for (const ns of Object.values(NS)) spawnSync('ip', ['netns', 'del', ns]);
    if (!process.env.KEEP_TEST_DIR) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('startup_script runs to its end before the VRRP process starts, shutdown_script after it stopped; vrrp_startup_delay holds the instances in INIT', async () => {
    const marks = path.join(dir, 'marks');
    const up = write('up.sh', `#!/bin/sh\nsleep 0.3\necho up >> ${marks}\n`);
    const down = write('down.sh', `#!/bin/sh\necho down >> ${marks}\n`);
    fs.chmodSync(up, 0o755);
    fs.chmodSync(down, 0o755);
    const f = write('scripts.conf', `global_defs {\n  startup_script ${up}\n  shutdown_script ${down}\n  vrrp_startup_delay 2\n}\n${instance(150)}`);
    const a = start('ts', 'a', f);
    await waitFor(() => logOf(a).includes('Entering BACKUP STATE'), 20_000, 'instance started');
    const log = logOf(a);
    expect(log.indexOf(`startup_script ${up} completed`)).toBeGreaterThan(-1);
    expect(log.indexOf(`startup_script ${up} completed`)).toBeLessThan(log.indexOf('VRRP child process('));
    const stamp = (line: string) =>
      Date.parse(
        log
          .split('\n')
          .find((l) => l.includes(line))!
          .slice(0, 24),
      );
    const held = stamp('Entering BACKUP STATE') - stamp('Delaying startup for 2 seconds');
    console.log(`vrrp_startup_delay 2: instance started ${held} ms after the delay began`);
    expect(held).toBeGreaterThanOrEqual(1950);
    expect(fs.readFileSync(marks, 'utf8')).toBe('up\n');
    a.proc.kill('SIGTERM');
    await waitFor(() => a.proc.exitCode !== null, 10_000, 'stopped');
    expect(fs.readFileSync(marks, 'utf8')).toBe('up\ndown\n');
    expect(logOf(a).indexOf(`shutdown_script ${down} completed`)).toBeGreaterThan(logOf(a).indexOf('Entering INIT STATE'));
  }, 40_000);

  it('promote_secondaries: set on the interface while running (a VIP in its subnet outlives the primary address), put back at stop', async () => {
    expect(sysctl(`net/ipv4/conf/${IF}/promote_secondaries`)).toBe('0');
    const a = start('ts', 'a', write('promote.conf', instance(150, '  promote_secondaries\n', `${VIP}/24`)));
    await waitFor(() => has('a'), 15_000, 'MASTER');
    expect(sysctl(`net/ipv4/conf/${IF}/promote_secondaries`)).toBe('1');
    sh('ip', '-n', NS.a, 'addr', 'del', `${IP.a}/24`, 'dev', IF);
    await sleep(300);
    expect(has('a')).toBe(true); // promoted, not deleted with the primary
    a.proc.kill('SIGTERM');
    await waitFor(() => a.proc.exitCode !== null, 10_000, 'stopped');
    expect(sysctl(`net/ipv4/conf/${IF}/promote_secondaries`)).toBe('0');
  }, 40_000);

  it('down_timer_adverts 1: the BACKUP takes over one advert interval + skew after its MASTER crashed (keepalived MASTER)', async () => {
    const ka = start('ka', 'a', write('ka.conf', instance(150)));
    await waitFor(() => has('a'), 15_000, 'keepalived MASTER');
    const b = start('ts', 'b', write('dt1.conf', instance(100, '  down_timer_adverts 1\n')));
    await waitFor(() => logOf(b).includes('Entering BACKUP STATE'), 15_000, 'tskeepalived BACKUP');
    await sleep(3000);
    expect(has('b')).toBe(false);
    const t0 = Date.now();
    crash(Number(fs.readFileSync(ka.pidFile, 'utf8')));
    await waitFor(() => has('b'), 5000, 'takeover');
    const took = Date.now() - t0;
    // Master_Down_Interval with 1 advert: 1 s + skew 0.609 s, measured from the last advert (up to 1 s before the crash).
    console.log(`down_timer_adverts 1: takeover ${took} ms after the crash (3 adverts would be 3.609 s after the last advert)`);
    expect(took).toBeLessThan(1609 + 700); // well under the 3.609 s of three adverts
  }, 40_000);

  it('lower_prio_no_advert: our MASTER stops answering every lower-priority advert (about one advert a second instead of two)', async () => {
    const counts: Record<string, number> = {};
    for (const quiet of [false, true]) {
      const a = start('ts', 'a', write(`lp-${quiet}.conf`, instance(150, `  version 3\n${quiet ? '  lower_prio_no_advert\n' : ''}`)));
      await waitFor(() => has('a'), 15_000, 'MASTER');
      start('ka', 'b', otherMaster(100));
      await waitFor(() => logOf(a).includes('Master received advert from lower priority router'), 10_000, 'the other master heard');
      await sleep(1000);
      const before = advertTx(a);
      await sleep(5000);
      counts[String(quiet)] = advertTx(a) - before;
      expect(logOf(a)).toContain('Master received advert from lower priority router');
      await stopAll();
    }
    console.log(`our adverts in 5 s next to a lower-priority master: ${counts.false} answering, ${counts.true} with lower_prio_no_advert`);
    expect(counts.false).toBeGreaterThanOrEqual(9);
    expect(counts.true).toBeLessThanOrEqual(7);
  }, 60_000);

  it.skipIf(!haveTshark)(
    'higher_prio_send_advert: our MASTER sends one advert of its own as it yields to a higher priority',
    async () => {
      const a = start('ts', 'a', write('hp.conf', instance(100, '  version 3\n  higher_prio_send_advert\n')));
      await waitFor(() => has('a'), 15_000, 'MASTER');
      const all = await adverts(4000, () => start('ka', 'b', otherMaster(150)));
      await waitFor(() => logOf(a).includes('Entering BACKUP STATE'), 2000, 'BACKUP');
      const ours = all.filter((x) => x[2] === IP.a);
      const firstTheirs = all.find((x) => x[2] === IP.b)!;
      console.log(`our adverts: ${ours.map((x) => x[0].toFixed(3)).join(' ')}; keepalived's first: ${firstTheirs[0].toFixed(3)}`);
      expect(ours.every((x) => x[1] === 100)).toBe(true);
      // Our last advert answers keepalived's first (without the option a MASTER yields without a word).
      const last = ours.at(-1)![0];
      expect(last).toBeGreaterThanOrEqual(firstTheirs[0]);
      expect(last - firstTheirs[0]).toBeLessThan(0.2);
    },
    40_000,
  );

  it("a vrrp_script runs as its `user` (else script_user, else the daemon's own user)", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-kw-user-'));
    fs.chmodSync(out, 0o777);
    const probe = write('whoami.sh', `#!/bin/sh\nid -u > ${out}/$1\n`);
    fs.chmodSync(probe, 0o755);
    fs.chmodSync(dir, 0o755);
    const scripts = `vrrp_script chk_own {\n  script "${probe} own"\n  interval 1\n  user nobody\n}\nvrrp_script chk_default {\n  script "${probe} default"\n  interval 1\n}\n`;
    const extra = '  track_script {\n    chk_own\n    chk_default\n  }\n';
    const a = start('ts', 'a', write('user.conf', `global_defs {\n  script_user daemon\n}\n${scripts}${instance(150, extra)}`));
    const ran = (f: string) => fs.existsSync(`${out}/${f}`) && fs.readFileSync(`${out}/${f}`, 'utf8').endsWith('\n');
    await waitFor(() => ran('own') && ran('default'), 15_000, 'both scripts ran');
    const uid = (name: string) => spawnSync('id', ['-u', name], { encoding: 'utf8' }).stdout.trim();
    expect({ own: fs.readFileSync(`${out}/own`, 'utf8').trim(), dflt: fs.readFileSync(`${out}/default`, 'utf8').trim() }).toEqual({
      own: uid('nobody'),
      dflt: uid('daemon'),
    });
    void a;
    fs.rmSync(out, { recursive: true, force: true });
  }, 40_000);

  it("a vrrp_sync_group's track_interface and track_script apply to every member (FAULT when down without sync_group_tracking_weight)", async () => {
    sh('ip', '-n', NS.a, 'link', 'add', 'trk0', 'type', 'veth', 'peer', 'name', 'trk1');
    sh('ip', '-n', NS.a, 'link', 'set', 'trk0', 'up');
    sh('ip', '-n', NS.a, 'link', 'set', 'trk1', 'up');
    const flag = path.join(dir, 'group-ok');
    fs.writeFileSync(flag, '');
    const two = instance(150).replace('virtual_router_id 52', 'virtual_router_id 53').replace('VI_1', 'VI_2').replace(`${VIP}/32`, '192.0.2.101/32');
    const group = `vrrp_script chk_flag {\n  script "/usr/bin/test -f ${flag}"\n  interval 1\n  fall 1\n  rise 1\n}\nvrrp_sync_group G1 {\n  group {\n    VI_1\n    VI_2\n  }\n  track_interface {\n    trk0\n  }\n  track_script {\n    chk_flag\n  }\n}\n`;
    try {
      const a = start('ts', 'a', write('group.conf', group + instance(150) + two));
      await waitFor(() => has('a') && has('a', ' 192.0.2.101/'), 15_000, 'both MASTER');
      sh('ip', '-n', NS.a, 'link', 'set', 'trk0', 'down');
      await waitFor(() => !has('a') && !has('a', ' 192.0.2.101/'), 3000, "both released on the group's interface going down");
      expect(logOf(a).match(/Entering FAULT STATE/g)).toHaveLength(2);
      sh('ip', '-n', NS.a, 'link', 'set', 'trk0', 'up');
      await waitFor(() => has('a') && has('a', ' 192.0.2.101/'), 10_000, 'both MASTER again');
      fs.rmSync(flag);
      await waitFor(() => !has('a') && !has('a', ' 192.0.2.101/'), 5000, "both released on the group's script failing");
    } finally {
      spawnSync('ip', ['-n', NS.a, 'link', 'del', 'trk0']);
    }
  }, 60_000);
});
