/**
 * Restart without failover: `tskeepalived --handover`, then a new start, on a MASTER (priority 150) with
 * keepalived 2.2.7 as BACKUP (priority 100) watching, advert_int 1 s (Master_Down_Interval 3.609 s), two
 * directors on a bridge (its own namespace) where dumpcap records every advert. Asserted: keepalived never
 * leaves BACKUP (log, notify script, and `ip monitor address` never sees the VIP on its side), no priority 0
 * advert goes out, `ip monitor address` never sees the VIP deleted on the MASTER, the new daemon is MASTER at once without
 * running notify_master again; the gap between the old daemon's last advert and the new one's first is
 * printed. Then the meaning of a plain SIGTERM is unchanged (priority 0 on the wire, VIP removed), and a
 * broken state file is ignored with a log line (the start is an ordinary one: configured VIPs left on the
 * interface are removed, as keepalived removes them).
 * Needs root, iproute2, keepalived and dumpcap/tshark; skips, saying so, otherwise.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '../../bin/tskeepalived.js');
const root = process.getuid?.() === 0;
const have = (cmd: string, arg: string) => spawnSync(cmd, [arg]).status === 0;
const tools = have('ip', '-V') && fs.existsSync('/usr/sbin/keepalived') && have('tshark', '--version') && have('dumpcap', '--version');
const canRun = root && tools && spawnSync('ip', ['netns', 'add', `tskhoprobe${process.pid}`]).status === 0;
if (canRun) spawnSync('ip', ['netns', 'del', `tskhoprobe${process.pid}`]);
if (!canRun) console.log('handover namespace tests skipped: they need root, iproute2 (ip netns), keepalived, dumpcap and tshark');

const tag = `${process.pid % 10000}`;
const NS = { a: `tskhoa${tag}`, b: `tskhob${tag}`, sw: `tskhosw${tag}` };
const IF = { a: `tho${tag}a`, b: `tho${tag}b` };
const IP = { a: '192.0.2.1', b: '192.0.2.2' };
const VIP = '192.0.2.100';
/**
 * advert_int 1 (VRRPv2) by default; HANDOVER_ADVERT_INT=0.3 runs VRRPv3 at that interval, to see where a
 * BACKUP would take over (Master_Down_Interval = 3.609 x advert_int for priority 100).
 */
const ADVERT_INT = Number(process.env.HANDOVER_ADVERT_INT ?? 1);
const V3 = ADVERT_INT !== 1 ? ' version 3\n' : '';
const MASTER_DOWN_MS = Math.round((3 + 156 / 256) * ADVERT_INT * 1000);
const START_MS = 15_000;
// Under /run (root's): script security refuses notify scripts in a directory under world-writable /tmp.
const dir = fs.mkdtempSync('/run/tsk-ho-');
const procs: ChildProcess[] = [];
const stateFile = path.join(dir, 'handover.json');

function sh(...args: string[]): void {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
}

function conf(side: 'a' | 'b', priority: number): string {
  const f = path.join(dir, `${side}-${priority}.conf`);
  const notify = path.join(dir, `notify-${side}`);
  const script = path.join(dir, `notify-${side}.sh`);
  fs.writeFileSync(script, `#!/bin/sh\necho "$3" >> ${notify}\n`, { mode: 0o755 });
  fs.writeFileSync(
    f,
    `global_defs {\n  script_user root\n  enable_script_security\n}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface ${IF[side]}\n  virtual_router_id 52\n  priority ${priority}\n  advert_int ${ADVERT_INT}\n${V3}  notify ${script}\n  virtual_ipaddress {\n    ${VIP}/24\n  }\n}\n`,
  );
  return f;
}

const notified = (side: 'a' | 'b') =>
  fs.existsSync(path.join(dir, `notify-${side}`))
    ? fs
        .readFileSync(path.join(dir, `notify-${side}`), 'utf8')
        .trim()
        .split('\n')
    : [];

interface Daemon {
  proc: ChildProcess;
  log: string;
  pidFile: string;
  sock: string;
}
let n = 0;

function startTs(file: string): Daemon {
  const id = `ts-${++n}`;
  const log = path.join(dir, `${id}.log`);
  const pidFile = path.join(dir, 'ts.pid');
  const sock = path.join(dir, 'ts.sock');
  const out = fs.openSync(log, 'w');
  const proc = spawn(
    'ip',
    [
      'netns',
      'exec',
      NS.a,
      process.execPath,
      BIN,
      '-n',
      '-l',
      '-f',
      file,
      '-p',
      pidFile,
      '-r',
      `${pidFile}.vrrp`,
      '--status-socket',
      sock,
      '--handover-file',
      stateFile,
    ],
    { stdio: ['ignore', out, out] },
  );
  procs.push(proc);
  return { proc, log, pidFile, sock };
}

function startKa(file: string): { proc: ChildProcess; log: string } {
  const log = path.join(dir, `ka-${++n}.log`);
  const pidFile = path.join(dir, `ka-${n}.pid`);
  const out = fs.openSync(log, 'w');
  const proc = spawn(
    'ip',
    ['netns', 'exec', NS.b, 'keepalived', '-n', '-l', '-D', '-f', file, '-p', pidFile, '-r', `${pidFile}.vrrp`, '-c', `${pidFile}.check`],
    { stdio: ['ignore', out, out] },
  );
  procs.push(proc);
  return { proc, log };
}

function hasVip(side: 'a' | 'b'): boolean {
  const r = spawnSync('ip', ['-n', NS[side], '-4', '-o', 'addr', 'show', 'dev', IF[side]], { encoding: 'utf8' });
  return r.stdout.includes(`${VIP}/`);
}

async function waitFor<T>(cond: () => T, ms: number, what: string): Promise<T> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    const v = cond();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exited = (p: ChildProcess) => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('exit', r)));

/** dumpcap on the bridge (kernel timestamps); stop() returns every VRRP advert: time (s), source, priority. */
function capture(): { stop(): Promise<Array<{ t: number; src: string; prio: number }>> } {
  const file = path.join(dir, `cap-${++n}.pcapng`);
  const p = spawn('ip', ['netns', 'exec', NS.sw, 'dumpcap', '-q', '-i', 'br0', '-f', 'ip proto 112', '-w', file], { stdio: 'ignore' });
  procs.push(p);
  return {
    async stop() {
      await sleep(300);
      p.kill('SIGINT');
      await exited(p);
      const r = spawnSync('tshark', ['-r', file, '-Y', 'vrrp', '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'ip.src', '-e', 'vrrp.prio'], {
        encoding: 'utf8',
      });
      return r.stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [t, src, prio] = l.split('\t');
          return { t: Number(t), src: src!, prio: Number(prio) };
        });
    },
  };
}

/** `ip monitor address` in a director's namespace, from now on; stop() returns its lines. */
function monitor(side: 'a' | 'b'): { stop(): Promise<string[]> } {
  const file = path.join(dir, `mon-${side}-${++n}.txt`);
  const out = fs.openSync(file, 'w');
  const p = spawn('ip', ['-n', NS[side], 'monitor', 'address'], { stdio: ['ignore', out, out] });
  procs.push(p);
  return {
    async stop() {
      await sleep(200);
      p.kill('SIGTERM');
      await exited(p);
      return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    },
  };
}

function status(d: Daemon): { vrrp: Array<{ name: string; state: string }> } {
  const r = spawnSync(process.execPath, [BIN, 'status', '--json', '--status-socket', d.sock], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`status: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function stopAll(): Promise<void> {
  for (const p of procs.splice(0)) if (p.exitCode === null) p.kill('SIGTERM');
  await sleep(300);
  spawnSync('sh', ['-c', `for n in ${NS.a} ${NS.b} ${NS.sw}; do ip netns pids $n | xargs -r kill -9; done`]);
}

describe.skipIf(!canRun)('restart without failover (--handover) next to a keepalived 2.2.7 BACKUP', () => {
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
  afterAll(async () => {
    await stopAll();
    for (const ns of Object.values(NS)) spawnSync('ip', ['netns', 'del', ns]);
    if (!process.env.KEEP_TEST_DIR) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('--handover and a new start: the BACKUP never takes over, no priority 0, the VIP never leaves, notify_master not run again; then SIGTERM still releases', async () => {
    const confA = conf('a', 150);
    const a = startTs(confA);
    await waitFor(() => hasVip('a'), START_MS, 'tskeepalived MASTER');
    const ka = startKa(conf('b', 100));
    await waitFor(() => fs.readFileSync(ka.log, 'utf8').includes('Entering BACKUP STATE'), START_MS, 'keepalived BACKUP');
    await sleep(1500);
    expect(notified('a')).toEqual(['BACKUP', 'MASTER']);

    const cap = capture();
    const mon = monitor('a');
    const monB = monitor('b');
    await sleep(2500);

    // The handover: the command returns once the old daemon has exited, having written the state.
    const t0 = Date.now();
    const ho = spawnSync(process.execPath, [BIN, '--handover', '--status-socket', a.sock, '-p', a.pidFile], { encoding: 'utf8' });
    const handoverMs = Date.now() - t0;
    expect(ho.stderr).toBe('');
    expect(ho.status).toBe(0);
    expect(ho.stdout).toContain(`state in ${stateFile}`);
    expect(a.proc.exitCode ?? (await exited(a.proc), a.proc.exitCode)).toBe(0);
    const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
    expect(state.format).toBe(1);
    expect(state.vrrp.instances).toMatchObject([{ name: 'VI_1', vrid: 52, state: 'MASTER', interface: IF.a, vips: [{ address: VIP, prefixLen: 24 }] }]);
    expect(fs.existsSync(a.pidFile)).toBe(false);
    expect(hasVip('a')).toBe(true);

    const t1 = Date.now();
    const a2 = startTs(confA);
    await waitFor(
      () => fs.readFileSync(a2.log, 'utf8').includes('(VI_1) carried on in MASTER STATE from the handover'),
      START_MS,
      'new daemon carries on as MASTER',
    );
    expect(fs.existsSync(stateFile)).toBe(false); // used once
    await sleep(MASTER_DOWN_MS + 1500); // longer than the BACKUP's Master_Down_Interval
    expect(status(a2).vrrp).toMatchObject([{ name: 'VI_1', state: 'MASTER' }]);

    const lines = await mon.stop();
    const linesB = await monB.stop();
    const pkts = await cap.stop();
    const ours = pkts.filter((p) => p.src === IP.a);
    const theirs = pkts.filter((p) => p.src === IP.b);
    // The gap the BACKUP saw across the handover: the old daemon's last advert to the new one's first.
    const first = ours.findIndex((p) => p.t * 1000 >= t1);
    expect(first).toBeGreaterThan(0);
    const gap = (ours[first]!.t - ours[first - 1]!.t) * 1000;
    let largest = 0;
    for (let i = 1; i < ours.length; i++) largest = Math.max(largest, (ours[i]!.t - ours[i - 1]!.t) * 1000);
    console.log(
      `handover: command ${handoverMs} ms; new daemon started ${(ours[first]!.t * 1000 - t1).toFixed(0)} ms before its first advert; gap seen by the BACKUP between the old daemon's last advert and the new one's first ${gap.toFixed(0)} ms, largest gap ${largest.toFixed(0)} ms (Master_Down_Interval ${MASTER_DOWN_MS} ms)`,
    );
    expect(ours.length).toBeGreaterThanOrEqual(6 / ADVERT_INT);
    expect(ours.filter((p) => p.prio !== 150)).toEqual([]); // no priority 0
    expect(theirs).toEqual([]); // keepalived never advertised: it never was MASTER
    expect(largest).toBeLessThan(MASTER_DOWN_MS);
    expect(linesB.filter((l) => l.includes(VIP))).toEqual([]); // the VIP never appeared on the BACKUP
    expect(lines.filter((l) => l.includes(VIP) && l.startsWith('Deleted'))).toEqual([]);
    expect(hasVip('a')).toBe(true);
    expect(fs.readFileSync(ka.log, 'utf8').split('Entering BACKUP STATE').slice(1).join('')).not.toContain('Entering MASTER STATE');
    expect(notified('b')).not.toContain('MASTER');
    expect(notified('a')).toEqual(['BACKUP', 'MASTER']); // the new daemon ran no notify

    // A plain SIGTERM keeps its meaning: priority 0, VIP removed, the BACKUP takes over at once.
    const cap2 = capture();
    await sleep(1200);
    a2.proc.kill('SIGTERM');
    await exited(a2.proc);
    expect(hasVip('a')).toBe(false);
    await waitFor(() => hasVip('b'), 3000, 'keepalived takes over after the SIGTERM');
    const pkts2 = await cap2.stop();
    expect(pkts2.some((p) => p.src === IP.a && p.prio === 0)).toBe(true);
    expect(fs.existsSync(stateFile)).toBe(false);
  }, 90_000);

  it('a broken state file is ignored with a log line; the start is an ordinary one and removes the configured VIP left on the interface', async () => {
    await stopAll();
    spawnSync('ip', ['-n', NS.b, 'addr', 'del', `${VIP}/24`, 'dev', IF.b]);
    // keepalived (priority 100) MASTER; we start below it (50).
    startKa(conf('b', 100));
    await waitFor(() => hasVip('b'), START_MS, 'keepalived MASTER');
    sh('ip', '-n', NS.a, 'addr', 'add', `${VIP}/24`, 'dev', IF.a); // left over by a daemon killed earlier
    fs.writeFileSync(stateFile, '{"format": 1, "writtenAt": "yesterday"');
    const d = startTs(conf('a', 50));
    await waitFor(() => fs.readFileSync(d.log, 'utf8').includes('Entering BACKUP STATE'), START_MS, 'BACKUP');
    const log = fs.readFileSync(d.log, 'utf8');
    expect(log).toMatch(new RegExp(`handover state ${stateFile.replace(/[.]/g, '\\.')} ignored: not JSON .* - starting as usual`));
    expect(fs.existsSync(stateFile)).toBe(false);
    await waitFor(() => !hasVip('a'), 3000, 'the left-over VIP removed at start');
    // A state file from a daemon that is not stopping: --handover with nothing running says so.
    d.proc.kill('SIGTERM');
    await exited(d.proc);
    const none = spawnSync(process.execPath, [BIN, '--handover', '--status-socket', d.sock, '-p', d.pidFile], { encoding: 'utf8' });
    expect(none.status).toBe(3);
    expect(none.stderr).toContain('no tskeepalived is running');
  }, 60_000);

  it('-s NAME: the default files of the namespace (status socket, state file under /run/tskeepalived/NAME/); a file that cannot be run is refused first', async () => {
    await stopAll();
    const run = `/run/tskeepalived/${NS.a}`;
    const file = conf('a', 150);
    const start = (id: string) => {
      const log = path.join(dir, `${id}.log`);
      const out = fs.openSync(log, 'w');
      const proc = spawn(process.execPath, [BIN, '-n', '-l', '-s', NS.a, '-f', file], { stdio: ['ignore', out, out] });
      procs.push(proc);
      return { proc, log };
    };
    const d = start('ns-1');
    await waitFor(() => hasVip('a') && fs.existsSync(`${run}/tskeepalived.sock`), START_MS, 'MASTER in the namespace');
    // A file the next start could not run: refused, nothing stopped.
    fs.renameSync(file, `${file}.away`);
    const refused = spawnSync(process.execPath, [BIN, '--handover', '-s', NS.a], { encoding: 'utf8' });
    fs.renameSync(`${file}.away`, file);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`the daemon refused: the configuration ${file} cannot be run (see tskeepalived -t): nothing was stopped`);
    expect(d.proc.exitCode).toBe(null);
    expect(fs.existsSync(`${run}/handover.json`)).toBe(false);
    const ho = spawnSync(process.execPath, [BIN, '--handover', '-s', NS.a], { encoding: 'utf8' });
    expect(ho.stderr).toBe('');
    expect(ho.status).toBe(0);
    expect(ho.stdout).toContain(`state in ${run}/handover.json`);
    await exited(d.proc);
    expect(fs.existsSync(`${run}/handover.json`)).toBe(true);
    const d2 = start('ns-2');
    await waitFor(
      () => fs.readFileSync(d2.log, 'utf8').includes('(VI_1) carried on in MASTER STATE from the handover'),
      START_MS,
      'carried on in the namespace',
    );
    expect(fs.existsSync(`${run}/handover.json`)).toBe(false);
    d2.proc.kill('SIGTERM');
    await exited(d2.proc);
    expect(fs.existsSync(run)).toBe(false); // nothing left behind
  }, 60_000);
});
