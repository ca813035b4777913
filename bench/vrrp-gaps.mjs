#!/usr/bin/env node
/**
 * VRRP advert regularity under load, tskeepalived vs keepalived on the same configs in the same kernel (run it
 * in the VM lab: `npm run bench:vrrp`; it needs IPVS). The claim under test: a MASTER's adverts stay on time
 * whatever its health checkers, a reload, a metrics scrape or a dump do (tskeepalived runs VRRP in a process
 * of its own since the supervisor split; keepalived has always had a VRRP child).
 *
 * Two network namespaces on a veth pair: the MASTER director (192.0.2.1, VRRPv3, priority 150, VIP
 * 192.0.2.100) and a BACKUP (192.0.2.2, priority 100, the VRRP instance only) running the same implementation.
 * The MASTER's file also has N real servers (`--rs N`, default 10,000): 100 per virtual server
 * (192.0.2.100:8001...), real server k of virtual server v at 198.51.100.(v+1):(20000+k), addresses on the
 * MASTER's lo, TCP_CHECK with delay_loop 2 (`--delay-loop`), connect_timeout 3, retry 0 (one failed check takes
 * a server out). One listener process in the MASTER namespace accepts on the 100 ports (all addresses) and
 * closes each connection after the checker has; told "down" it closes its listening sockets in one turn of its
 * loop, so every following check is refused (RST: the failure is seen at once, connect_timeout plays no part),
 * told "up" it listens again in one turn. (10,000 servers at delay_loop 2 is more than the emulated machine
 * can check: both daemons fall behind, which is the load this bench wants.)
 *
 * dumpcap in the BACKUP namespace records every VRRP packet on the BACKUP's interface (kernel timestamps,
 * pcap, read after the run): the MASTER's adverts (source 192.0.2.1), and any advert of the BACKUP's own
 * (source 192.0.2.2, priority > 0), which means it took over. A takeover is also any "Entering MASTER STATE" in
 * the BACKUP's log, or the VIP on the BACKUP at the end of a phase.
 *
 * For each advert_int (`--advert-int 1,0.1`, default both) and implementation: the MASTER starts; once it
 * holds the VIP and IPVS shows N destinations, a warm-up (`--warmup`, default 2 delay_loops + 4 s) lets the
 * checkers reach their routine; the BACKUP starts and settles in BACKUP state; then the phases, each a window
 * from its action until its work is seen done (at most `--cap` s, default 60) plus a tail (`--tail`, 3 s),
 * with a pause between them (`--settle`, 2 s):
 *   steady        nothing happens (`--steady`, 5 s)
 *   rs-fail       all real servers fail at once (listener down) until IPVS shows no destination
 *   rs-recover    all come back at once (listener up) until IPVS shows N destinations again
 *   reload        one real server's weight changed in the file, SIGHUP, until the kernel shows the new weight
 *   scrape        a full `curl /metrics` (tskeepalived only: keepalived has no such endpoint, n/a)
 *   dump          SIGUSR1, until /tmp/keepalived.data is written and no /tmp/keepalived.* file changes
 * Per phase: the largest gap between two consecutive MASTER adverts whose second one falls in the window (or
 * from the last advert to the window's end, if longer), how many gaps exceed the target, and whether the
 * BACKUP took over; the same over the whole measured stretch (phases and pauses).
 * Target: no gap above advert_int + 50 ms, no takeover.
 *
 * The emulated machine itself stalls at times (its host may be busy): a control process in the VM sleeps
 * 20 ms at a time and records how late it wakes ("probe", per phase). For each gap, the part beyond
 * advert_int that the probe's lateness within that gap does not account for is the daemon's own ("own").
 * Also per phase: CPU (cores) of the MASTER's processes by role (parent, vrrp, checker), of the listener, of
 * the BACKUP, and the machine's; the scheduling policy and nice of each; checks/s reaching the listener in
 * the steady phase. keepalived also logs to syslog, and with no /dev/log it would write every line to the
 * serial console (LOG_CONS), which stalls it under emulation: a discarding busybox syslogd stands in.
 *
 * Prints one table per advert_int and the target line; with --json, one JSON object.
 * `--only tskeepalived|keepalived` runs one implementation. VRRP_BENCH_DIR: where configs, logs and captures
 * go (default /tmp/vrrp-bench; the VM's /tmp is its own, so on failure the logs' tails are printed).
 * The namespaces (and whatever runs in them) are removed at the end, also on failure or SIGINT/SIGTERM.
 * Default run (10,000 servers, both advert_ints, both daemons): about 20 minutes in the VM lab (phases that hit
 * --cap are cut there and say so); `--rs 2000` takes about 9, `--rs 200 --advert-int 0.1` about 4.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(new URL('..', import.meta.url).pathname);
const TSK = path.join(ROOT, 'bin/tskeepalived.js');
const WORK = process.env.VRRP_BENCH_DIR ?? '/tmp/vrrp-bench';
const argv = process.argv.slice(2);
const arg = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const num = (name, dflt) => (arg(name) !== undefined ? Number(arg(name)) : dflt);
const N = num('--rs', 10000);
const DELAY_LOOP = num('--delay-loop', 2);
const ADVERT_INTS = (arg('--advert-int') ?? '1,0.1').split(',').map(Number);
const WARMUP_S = num('--warmup', 2 * DELAY_LOOP + 4);
const STEADY_S = num('--steady', 5);
const TAIL_S = num('--tail', 3);
const SETTLE_S = num('--settle', 2);
const CAP_S = num('--cap', 60); // the longest a phase waits for its work to be seen done
const json = argv.includes('--json');
const only = arg('--only');
const IMPLS = ['tskeepalived', 'keepalived'].filter((i) => !only || only === i);
const PER_VS = 100;
const VS_COUNT = Math.ceil(N / PER_VS);
const PORTS = Math.min(N, PER_VS);
const RS_PORT = 20000;
const VS_PORT = 8001;
const METRICS_PORT = 9652;
const TARGET_SLACK_MS = 50;

const tag = String(process.pid % 10000);
const NS = { m: `vgm${tag}`, b: `vgb${tag}` };
const IF = { m: `vgm${tag}`, b: `vgb${tag}` };
const ADDR = { m: '192.0.2.1', b: '192.0.2.2' };
const VIP = '192.0.2.100';
const rsAddr = (v) => `198.51.100.${v + 1}`;

const note = (m) => console.error(`bench ${new Date().toISOString().slice(11, 19)} ${m}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sh = (cmd) => execFileSync('sh', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const sched = ['SCHED_OTHER', 'SCHED_FIFO', 'SCHED_RR', 'SCHED_BATCH', 'SCHED_ISO', 'SCHED_IDLE', 'SCHED_DEADLINE'];
const tryShell = (cmd) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });

if (!(VS_COUNT <= 250)) throw new Error('--rs: at most 25,000 real servers (250 virtual servers x 100)');

// ---------------------------------------------------------------------------------------------------------
// Configuration files

function vrrpBlock(side, intervalS) {
  const master = side === 'm';
  return `vrrp_instance VI_1 {
  state ${master ? 'MASTER' : 'BACKUP'}
  interface ${IF[side]}
  virtual_router_id 51
  priority ${master ? 150 : 100}
  advert_int ${intervalS}
  version 3
  virtual_ipaddress {
    ${VIP}/24
  }
}
`;
}

/** The MASTER's file: VRRP plus the farm; `heavier` is the real server whose weight a reload changes. */
function masterConfig(intervalS, heavier = -1) {
  const out = [`global_defs {\n  router_id vrrp-gaps-master\n}\n`, vrrpBlock('m', intervalS)];
  for (let v = 0; v < VS_COUNT; v++) {
    let s = `virtual_server ${VIP} ${VS_PORT + v} {\n  delay_loop ${DELAY_LOOP}\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n`;
    for (let k = v * PER_VS; k < Math.min(N, (v + 1) * PER_VS); k++) {
      s += `  real_server ${rsAddr(v)} ${RS_PORT + (k % PER_VS)} {\n    weight ${k === heavier ? 2 : 1}\n    TCP_CHECK {\n      connect_timeout 3\n      retry 0\n    }\n  }\n`;
    }
    out.push(`${s}}\n`);
  }
  return out.join('');
}

const backupConfig = (intervalS) => `global_defs {\n  router_id vrrp-gaps-backup\n}\n${vrrpBlock('b', intervalS)}`;

// ---------------------------------------------------------------------------------------------------------
// Namespaces, listener, capture

function setup() {
  try {
    sh('modprobe -a ip_vs ip_vs_rr veth 2>/dev/null || true'); // the VM's kernel does not load modules on demand
  } catch {
    // not allowed here
  }
  if (!fs.existsSync('/proc/net/ip_vs')) throw new Error('no IPVS in this kernel: run it in the VM lab (npm run bench:vrrp)');
  for (const s of ['m', 'b']) {
    sh(`ip netns add ${NS[s]}`);
    sh(`ip -n ${NS[s]} link set lo up`);
  }
  sh(`ip link add ${IF.m} netns ${NS.m} type veth peer name ${IF.b} netns ${NS.b}`);
  for (const s of ['m', 'b']) {
    sh(`ip -n ${NS[s]} addr add ${ADDR[s]}/24 dev ${IF[s]}`);
    sh(`ip -n ${NS[s]} link set ${IF[s]} up`);
  }
  const batch = Array.from({ length: VS_COUNT }, (_, v) => `addr add ${rsAddr(v)}/32 dev lo`).join('\n');
  execFileSync('ip', ['-n', NS.m, '-batch', '-'], { input: `${batch}\n` });
}

/** Everything this bench started, for the cleanup. */
const started = new Set();
let cleaned = false;
let madeDevLog = false;
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const p of started) {
    try {
      p.kill('SIGKILL');
    } catch {
      // gone
    }
  }
  if (madeDevLog) fs.rmSync('/dev/log', { force: true });
  for (const n of Object.values(NS)) {
    // Whatever is left in our namespaces (keepalived's children) was started by this bench.
    const pids = tryShell(`ip netns pids ${n} 2>/dev/null`).stdout.split('\n').filter(Boolean);
    if (pids.length) tryShell(`kill -9 ${pids.join(' ')}`);
    tryShell(`ip netns del ${n} 2>/dev/null`);
  }
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    note(`${sig}: cleaning up`);
    cleanup();
    process.exit(130);
  });
}

/**
 * The real servers: one process listening on PORTS ports of every address, commands on stdin, one answer line
 * each: "down" closes every listening socket (all in one turn), "up" listens again, "count" = accepts so far.
 */
const LISTENER = `
const net = require('net');
const [base, n] = process.argv.slice(1).map(Number);
let servers = [], accepts = 0;
const handler = (c) => { accepts++; c.on('error', () => c.destroy()); c.on('end', () => c.destroy()); c.resume(); };
function up(done) {
  let left = n;
  servers = [];
  for (let i = 0; i < n; i++) {
    const s = net.createServer(handler);
    s.on('error', (e) => { console.error('listen ' + (base + i) + ': ' + e.message); process.exit(1); });
    s.listen({ port: base + i, host: '0.0.0.0', backlog: 4096 }, () => { if (--left === 0) done(); });
    servers.push(s);
  }
}
function down() { for (const s of servers) s.close(); servers = []; }
let buf = '';
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const cmd = buf.slice(0, i).trim();
    buf = buf.slice(i + 1);
    if (cmd === 'up') up(() => console.log('up'));
    else if (cmd === 'down') { down(); console.log('down'); }
    else if (cmd === 'count') console.log('count ' + accepts);
  }
});
up(() => console.log('up'));
`;

/**
 * keepalived logs to syslog as well as to the console with -l, and with no syslog socket (the VM lab has none)
 * it writes every line to /dev/console (LOG_CONS): the lab's serial console, so slow under emulation that
 * 10,000 "Removing service" lines would stall keepalived and flood the output. A syslogd that discards stands
 * in for the system's.
 */
async function syslogSink() {
  if (fs.existsSync('/dev/log')) return;
  const p = spawn('busybox', ['syslogd', '-n', '-O', '/dev/null'], { stdio: 'ignore' });
  started.add(p);
  madeDevLog = true;
  for (let i = 0; i < 100 && !fs.existsSync('/dev/log'); i++) await sleep(100);
  if (!fs.existsSync('/dev/log')) note('warning: no /dev/log (busybox syslogd did not start): keepalived will log to the console');
}

function startListener() {
  const p = spawn(
    'ip',
    ['netns', 'exec', NS.m, 'sh', '-c', `ulimit -n 65536 2>/dev/null || ulimit -n $(ulimit -Hn); exec node -e "$0" ${RS_PORT} ${PORTS}`, LISTENER],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  started.add(p);
  let buf = '';
  const waiting = [];
  p.stdout.on('data', (d) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      waiting.shift()?.(line);
    }
  });
  const next = () => new Promise((r) => waiting.push(r));
  const first = next();
  return {
    ready: first,
    /** Sends a command; resolves with its answer line. */
    ask: (cmd) => {
      const a = next();
      p.stdin.write(`${cmd}\n`);
      return a;
    },
  };
}

/**
 * The control: a process that only sleeps 20 ms at a time, in the VM's root namespace, printing each wake-up
 * more than 10 ms late (epoch seconds, ms late). What it sees late is the machine's doing (the other processes
 * of the bench, or the emulator's host starving the virtual CPUs), not a daemon's: a MASTER gap well above the
 * probe's lateness is the daemon's own.
 */
const PROBE = `
const base = Date.now() - performance.now();
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  const late = now - last - 20;
  last = now;
  if (late > 10) console.log(((base + now) / 1000).toFixed(3) + ' ' + late.toFixed(1));
}, 20);
`;

function startProbe() {
  const p = spawn('node', ['-e', PROBE], { stdio: ['ignore', 'pipe', 'inherit'] });
  started.add(p);
  const late = [];
  let buf = '';
  p.stdout.on('data', (d) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const [t, ms] = buf.slice(0, i).split(' ').map(Number);
      buf = buf.slice(i + 1);
      late.push({ t, ms });
    }
  });
  return { late };
}

/** dumpcap on the BACKUP's interface, VRRP only, into a pcap file (read once it has stopped). */
async function startCapture(file) {
  fs.rmSync(file, { force: true });
  const p = spawn('ip', ['netns', 'exec', NS.b, 'dumpcap', '-q', '-i', IF.b, '-f', 'ip proto 112', '-P', '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  started.add(p);
  let err = '';
  p.stderr.on('data', (d) => (err += d));
  const t0 = Date.now();
  while (!(fs.existsSync(file) && fs.statSync(file).size >= 24)) {
    if (p.exitCode !== null || Date.now() - t0 > 60_000) throw new Error(`dumpcap did not start: ${err.trim()}`);
    await sleep(100);
  }
  return {
    stop: async () => {
      p.kill('SIGTERM');
      await exited(p, 20_000);
      started.delete(p);
    },
  };
}

/** VRRP packets of a pcap file (Ethernet): { t (s, epoch), src, prio }. */
function readCapture(file) {
  const b = fs.readFileSync(file);
  const magic = b.readUInt32LE(0);
  const nano = magic === 0xa1b23c4d;
  if (magic !== 0xa1b2c3d4 && !nano) throw new Error(`${file}: not a little-endian pcap file`);
  const link = b.readUInt32LE(20);
  const l2 = link === 1 ? 14 : link === 113 ? 16 : -1;
  if (l2 < 0) throw new Error(`${file}: link type ${link}`);
  const out = [];
  for (let o = 24; o + 16 <= b.length; ) {
    const t = b.readUInt32LE(o) + b.readUInt32LE(o + 4) / (nano ? 1e9 : 1e6);
    const len = b.readUInt32LE(o + 8);
    const p = b.subarray(o + 16, o + 16 + len);
    o += 16 + len;
    if (p.length < l2 + 20 || p[l2 + 9] !== 112) continue;
    const ihl = (p[l2] & 0x0f) * 4;
    if (p.length < l2 + ihl + 3) continue;
    out.push({ t, src: `${p[l2 + 12]}.${p[l2 + 13]}.${p[l2 + 14]}.${p[l2 + 15]}`, prio: p[l2 + ihl + 2] });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Daemons

function exited(p, ms) {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve(true);
    const t = setTimeout(() => resolve(false), ms);
    p.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

function startDaemon(impl, side, file) {
  const pid = path.join(WORK, `${impl}-${side}.pid`);
  for (const f of [pid, `${pid}.vrrp`, `${pid}.check`]) fs.rmSync(f, { force: true });
  const logFile = path.join(WORK, `${impl}-${side}.log`);
  const log = fs.openSync(logFile, 'w');
  const cmd =
    impl === 'tskeepalived'
      ? ['node', TSK, '-n', '-l', '-f', file, '-p', pid, '--status-socket', 'none', ...(side === 'm' ? ['--metrics-listen', `127.0.0.1:${METRICS_PORT}`] : [])]
      : ['keepalived', '-n', '-l', '-f', file, '-p', pid, '-r', `${pid}.vrrp`, '-c', `${pid}.check`];
  const p = spawn('ip', ['netns', 'exec', NS[side], ...cmd], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  started.add(p);
  return {
    p,
    pidFile: pid,
    logFile,
    log: () => fs.readFileSync(logFile, 'utf8'),
    stop: async () => {
      p.kill('SIGTERM');
      let note_;
      if (!(await exited(p, 60_000))) {
        note_ = 'did not stop within 60 s of SIGTERM: killed';
        p.kill('SIGKILL');
        await exited(p, 10_000);
      }
      started.delete(p);
      return note_;
    },
  };
}

const hasVip = (side) => tryShell(`ip -n ${NS[side]} -4 -o addr show dev ${IF[side]}`).stdout.includes(`${VIP}/`);

/** Destinations in the MASTER namespace's IPVS table, read through a process living there. */
function destCount(pid) {
  try {
    const t = fs.readFileSync(`/proc/${pid}/net/ip_vs`, 'utf8');
    return t.match(/^ {2}-> [0-9A-F]/gm)?.length ?? 0; // not the header line "  -> RemoteAddress:Port ..."
  } catch {
    return -1;
  }
}

/** The weight the kernel has for real server 0 (198.51.100.1:20000 in the first virtual server). */
function rs0Weight() {
  const r = tryShell(`ip netns exec ${NS.m} ipvsadm -Ln -t ${VIP}:${VS_PORT}`);
  const m = new RegExp(`-> ${rsAddr(0).replace(/\./g, '\\.')}:${RS_PORT}\\s+\\S+\\s+(\\d+)`).exec(r.stdout);
  return m ? Number(m[1]) : -1;
}

/**
 * CPU ticks (1/100 s, user + system) of the MASTER namespace's processes by role: parent, vrrp, checker
 * (tskeepalived's children name themselves; keepalived's are told apart by their -r/-c pid files), listener;
 * the BACKUP namespace's processes together; and the whole machine's busy ticks (/proc/stat).
 */
function cpuSample(impl, mPid, mPidFile) {
  const out = { parent: 0, vrrp: 0, checker: 0, listener: 0, other: 0, backup: 0, machine: 0 };
  const read = (f) => {
    try {
      return fs.readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  out.sched = {};
  const kaVrrp = Number(read(`${mPidFile}.vrrp`).trim());
  const kaCheck = Number(read(`${mPidFile}.check`).trim());
  for (const [side, n] of [
    ['m', NS.m],
    ['b', NS.b],
  ]) {
    for (const pid of tryShell(`ip netns pids ${n}`).stdout.split('\n').filter(Boolean).map(Number)) {
      const stat = read(`/proc/${pid}/stat`);
      if (!stat) continue;
      const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      const ticks = Number(f[11]) + Number(f[12]);
      if (side === 'b') {
        out.backup += ticks;
        continue;
      }
      const cmd = read(`/proc/${pid}/cmdline`).replace(/\0/g, ' ');
      let role = 'other';
      if (pid === mPid) role = 'parent';
      else if (impl === 'keepalived' ? pid === kaVrrp : /vrrp/.test(cmd)) role = 'vrrp';
      else if (impl === 'keepalived' ? pid === kaCheck : /checker/.test(cmd)) role = 'checker';
      else if (/node -e/.test(cmd)) role = 'listener';
      out[role] += ticks;
      if (role !== 'other') out.sched[role] = `${sched[Number(f[38])] ?? f[38]}${Number(f[37]) ? ` rt ${f[37]}` : ''} nice ${f[16]}`;
    }
  }
  const cpu = read('/proc/stat').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  out.machine = cpu.slice(0, 8).reduce((a, b) => a + b, 0) - cpu[3] - (cpu[4] ?? 0);
  return out;
}

/** CPU cores used by role between two samples `s` seconds apart. */
const cpuCores = (a, b, s) =>
  Object.fromEntries(
    Object.keys(a)
      .filter((k) => k !== 'sched')
      .map((k) => [k, +((b[k] - a[k]) / 100 / s).toFixed(2)]),
  );

/** Polls `cond` every `stepMs` up to `ms`; the seconds it took, or NaN. */
async function waitFor(cond, ms, stepMs = 250) {
  const t0 = performance.now();
  for (;;) {
    if (cond()) return (performance.now() - t0) / 1000;
    if (performance.now() - t0 > ms) return NaN;
    await sleep(stepMs);
  }
}

function tail(text, n = 15) {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// One run: an implementation at one advert_int

/**
 * One run's record and its phases: the figures each phase measures are added to it as they are taken.
 * @typedef {{ phase: string, na?: boolean, [figure: string]: any }} Phase
 * @typedef {{ impl: string, advertIntS: number, phases: Phase[], notes: string[], [figure: string]: any }} Run
 */
async function run(impl, intervalS, listener, probe) {
  const mFile = path.join(WORK, `${impl}-m.conf`);
  const bFile = path.join(WORK, `${impl}-b.conf`);
  fs.writeFileSync(mFile, masterConfig(intervalS));
  fs.writeFileSync(bFile, backupConfig(intervalS));
  tryShell(`ip netns exec ${NS.m} ipvsadm -C`);
  for (const s of ['m', 'b']) tryShell(`ip -n ${NS[s]} addr del ${VIP}/24 dev ${IF[s]} 2>/dev/null`);
  const pcap = path.join(WORK, `${impl}-${intervalS}.pcap`);
  const cap = await startCapture(pcap);
  const label = `${impl} advert_int ${intervalS}`;
  // Anything left busy by an earlier run would weigh on this one: show the busiest processes.
  note(`${label}: busiest processes before the start:\n${tryShell('ps -eo pid,pcpu,etimes,args --sort=-pcpu | head -6 | cut -c1-150').stdout.trimEnd()}`);
  /** @type {Run} */
  const res = { impl, advertIntS: intervalS, phases: [], notes: [] };
  let m;
  let b;
  try {
    m = startDaemon(impl, 'm', mFile);
    note(`${label}: MASTER started (log ${m.logFile})`);
    const tVip = await waitFor(() => hasVip('m'), 300_000);
    const tUp = await waitFor(() => destCount(m.p.pid) === N, 300_000, 500);
    if (Number.isNaN(tVip) || Number.isNaN(tUp))
      throw new Error(`${label}: the MASTER did not come up (VIP: ${hasVip('m')}, destinations: ${destCount(m.p.pid)}/${N})\n${tail(m.log())}`);
    res.startS = { vip: +tVip.toFixed(1), allDestinations: +tUp.toFixed(1) }; // the second counted from the first
    note(`${label}: VIP held, ${N} destinations after ${tUp.toFixed(1)} s; warm-up ${WARMUP_S} s`);
    await sleep(WARMUP_S * 1000);
    b = startDaemon(impl, 'b', bFile);
    if (Number.isNaN(await waitFor(() => /Entering BACKUP STATE/.test(b.log()), 120_000)))
      throw new Error(`${label}: the BACKUP did not enter BACKUP state\n${tail(b.log())}`);
    await sleep(SETTLE_S * 1000 + 1000);
    const measureFrom = Date.now() / 1000;
    const mLogFrom = m.log().length;
    /** MASTER log lines that say it left MASTER state, or that a child process died or was restarted. */
    const masterTrouble = (text) =>
      text
        .split('\n')
        .filter((l) => /Entering (BACKUP|FAULT|INIT) STATE|priority 0|child process.*(exit|died|kill|restart|respawn|terminated)|Restarting/i.test(l));

    /** One phase: `act` starts it and resolves once its work is seen done (or gives up); then the tail. */
    const phase = async (name, act) => {
      const logAt = b.log().length;
      const mLogAt = m.log().length;
      const t0 = Date.now() / 1000;
      note(`${label}: ${name}`);
      const c0 = cpuSample(impl, m.p.pid, m.pidFile);
      const r = { phase: name, t0, ...((await act()) ?? {}) };
      await sleep(TAIL_S * 1000);
      r.t1 = Date.now() / 1000;
      const c1 = cpuSample(impl, m.p.pid, m.pidFile);
      r.cpuCores = cpuCores(c0, c1, r.t1 - t0);
      res.sched = c1.sched;
      r.backupEnteredMaster = /Entering MASTER STATE/.test(b.log().slice(logAt));
      r.vipOnBackup = hasVip('b');
      const trouble = masterTrouble(m.log().slice(mLogAt));
      if (trouble.length) r.masterLog = trouble.slice(0, 5);
      res.phases.push(r);
      await sleep(SETTLE_S * 1000);
    };

    await phase('steady', async () => {
      const c0 = Number((await listener.ask('count')).split(' ')[1]);
      const t = performance.now();
      await sleep(STEADY_S * 1000);
      const c1 = Number((await listener.ask('count')).split(' ')[1]);
      res.checksPerS = Math.round((c1 - c0) / ((performance.now() - t) / 1000));
    });
    await phase('rs-fail', async () => {
      await listener.ask('down');
      const s = await waitFor(() => destCount(m.p.pid) === 0, CAP_S * 1000, 500);
      return { workS: s, work: Number.isNaN(s) ? `${destCount(m.p.pid)} dests left at ${CAP_S} s` : `0 dests in ${s.toFixed(1)} s` };
    });
    await phase('rs-recover', async () => {
      await listener.ask('up');
      const s = await waitFor(() => destCount(m.p.pid) === N, CAP_S * 1000, 500);
      return { workS: s, work: Number.isNaN(s) ? `${destCount(m.p.pid)}/${N} dests at ${CAP_S} s` : `${N} dests in ${s.toFixed(1)} s` };
    });
    // Give the recovered checkers a round of routine checks before the reload.
    await sleep(DELAY_LOOP * 1000);
    await phase('reload', async () => {
      fs.writeFileSync(mFile, masterConfig(intervalS, 0));
      m.p.kill('SIGHUP');
      const s = await waitFor(() => rs0Weight() === 2, CAP_S * 1000, 500);
      return { workS: s, work: Number.isNaN(s) ? `no new weight at ${CAP_S} s` : `new weight in ${s.toFixed(1)} s` };
    });
    if (impl === 'tskeepalived') {
      await phase('scrape', async () => {
        const t = performance.now();
        const r = tryShell(`ip netns exec ${NS.m} curl -sf -m 600 http://127.0.0.1:${METRICS_PORT}/metrics | wc -c`);
        const s = (performance.now() - t) / 1000;
        const bytes = Number(r.stdout.trim());
        return { workS: s, work: r.status === 0 && bytes > 0 ? `${(bytes / 1e6).toFixed(1)} MB in ${s.toFixed(1)} s` : `failed in ${s.toFixed(1)} s` };
      });
    } else res.phases.push({ phase: 'scrape', na: true });
    await phase('dump', async () => {
      // Done once /tmp/keepalived.data exists and no /tmp/keepalived.* file has changed for two polls.
      const dumps = () =>
        fs
          .readdirSync('/tmp')
          .filter((n) => n.startsWith('keepalived.'))
          .map((n) => `/tmp/${n}`);
      for (const f of dumps()) fs.rmSync(f, { force: true });
      m.p.kill('SIGUSR1');
      let last = '';
      let same = 0;
      const s = await waitFor(
        () => {
          const now = dumps()
            .map((f) => `${f}:${fs.statSync(f, { throwIfNoEntry: false })?.size}`)
            .join(' ');
          same = now === last ? same + 1 : 0;
          last = now;
          return fs.existsSync('/tmp/keepalived.data') && same >= 2;
        },
        CAP_S * 1000,
        500,
      );
      const kb = dumps().reduce((a, f) => a + (fs.statSync(f, { throwIfNoEntry: false })?.size ?? 0), 0) / 1e3;
      return { workS: s, files: last, work: Number.isNaN(s) ? `no dump at ${CAP_S} s` : `${kb.toFixed(0)} kB in ${s.toFixed(1)} s` };
    });
    res.measured = { t0: measureFrom, t1: Date.now() / 1000 };
    const trouble = masterTrouble(m.log().slice(mLogFrom));
    if (trouble.length) res.notes.push(`MASTER log while measured: ${trouble.slice(0, 5).join(' | ')}`);
  } catch (e) {
    if (m) note(`${label}: MASTER log tail:\n${tail(m.log(), 30)}`);
    if (b) note(`${label}: BACKUP log tail:\n${tail(b.log(), 30)}`);
    throw e;
  } finally {
    // The BACKUP first: the MASTER's priority-0 advert at its stop would make the BACKUP take over.
    for (const d of [b, m]) {
      if (!d) continue;
      const n = await d.stop();
      if (n) res.notes.push(`${d === m ? 'MASTER' : 'BACKUP'}: ${n}`);
    }
    await cap.stop();
    if (listener.isDown) await listener.ask('up');
  }
  analyse(res, readCapture(pcap), intervalS, probe.late);
  return res;
}

/**
 * Gaps between the MASTER's adverts, and the BACKUP's own adverts, per phase and over the measured stretch.
 * Each gap (a, b] is also set against the probe: `own` is what is left of it beyond advert_int once the
 * probe's largest lateness within (a, b + 50 ms] is taken off (a machine-wide stall delays everyone), so a
 * large `own` is the daemon's own lateness.
 */
function analyse(res, packets, intervalS, probeLate) {
  const master = packets.filter((p) => p.src === ADDR.m && p.prio > 0).map((p) => p.t);
  const backup = packets.filter((p) => p.src === ADDR.b && p.prio > 0).map((p) => p.t);
  res.advertsCaptured = { master: master.length, backup: backup.length };
  const targetMs = intervalS * 1000 + TARGET_SLACK_MS;
  const stall = (a, b) => probeLate.filter((l) => l.t > a && l.t <= b + 0.05).reduce((m, l) => Math.max(m, l.ms), 0);
  /** Gaps whose second advert falls in (t0, t1], and the silence from the last advert to t1. */
  const gapsIn = (t0, t1) => {
    const out = [];
    let prev = master.filter((t) => t <= t0).at(-1);
    for (const t of master) {
      if (t <= t0 || t > t1) continue;
      if (prev !== undefined) out.push({ at: t, ms: (t - prev) * 1000, ownMs: Math.max(0, (t - prev) * 1000 - intervalS * 1000 - stall(prev, t)) });
      prev = t;
    }
    if (prev !== undefined && (t1 - prev) * 1000 > intervalS * 1000)
      out.push({ at: t1, ms: (t1 - prev) * 1000, ownMs: Math.max(0, (t1 - prev) * 1000 - intervalS * 1000 - stall(prev, t1)), silence: true });
    return out;
  };
  const summary = (t0, t1) => {
    const g = gapsIn(t0, t1);
    const maxGapMs = g.reduce((m, x) => Math.max(m, x.ms), 0);
    return {
      maxGapMs: +maxGapMs.toFixed(1),
      ownMs: +g.reduce((m, x) => Math.max(m, x.ownMs), 0).toFixed(1),
      gapsOverTarget: g.filter((x) => x.ms > targetMs).length,
      overTargetMs: Math.max(0, +(maxGapMs - targetMs).toFixed(1)),
      adverts: master.filter((t) => t > t0 && t <= t1).length,
      backupAdverts: backup.filter((t) => t > t0 && t <= t1).length,
      probeLateMs: +probeLate
        .filter((l) => l.t > t0 && l.t <= t1)
        .reduce((m, l) => Math.max(m, l.ms), 0)
        .toFixed(1),
      gaps: g,
    };
  };
  for (const ph of res.phases) {
    if (ph.na) continue;
    const { gaps, ...sum } = summary(ph.t0, ph.t1);
    Object.assign(ph, sum);
    ph.takeover = ph.backupAdverts > 0 || ph.backupEnteredMaster || ph.vipOnBackup;
    ph.durationS = +(ph.t1 - ph.t0).toFixed(1);
    if (ph.workS !== undefined) ph.workS = Number.isNaN(ph.workS) ? null : +ph.workS.toFixed(2);
  }
  if (!res.measured) return;
  const { gaps, ...sum } = summary(res.measured.t0, res.measured.t1);
  res.whole = {
    ...sum,
    takeover: sum.backupAdverts > 0 || res.phases.some((p) => p.takeover),
    durationS: +(res.measured.t1 - res.measured.t0).toFixed(1),
    gapsMeasured: gaps.length,
  };
  // Where the largest gaps were, with the phase they fell in and the probe's view of them.
  const where = (at) => res.phases.find((p) => !p.na && at > p.t0 && at <= p.t1)?.phase ?? 'between phases';
  res.whole.largest = [...gaps]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 8)
    .map((g) => ({ ms: +g.ms.toFixed(1), ownMs: +g.ownMs.toFixed(1), phase: where(g.at), atS: +(g.at - res.measured.t0).toFixed(1) }));
}

// ---------------------------------------------------------------------------------------------------------

const PHASE_TITLES = {
  steady: 'steady',
  'rs-fail': 'all real servers fail',
  'rs-recover': 'all real servers recover',
  reload: 'SIGHUP, one weight changed',
  scrape: 'full /metrics scrape',
  dump: 'SIGUSR1 dump',
  whole: 'whole measured stretch',
};

function printTables(out) {
  const f = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '-');
  console.log(
    `${N} real servers (${VS_COUNT} virtual servers x ${Math.min(N, PER_VS)}), TCP_CHECK delay_loop ${DELAY_LOOP} s retry 0; VRRPv3, MASTER priority 150, BACKUP 100`,
  );
  console.log('gap: largest gap between two MASTER adverts (ms; +over the target, and how many gaps were over); takeover: by the BACKUP;');
  console.log('probe: largest lateness of a process that only sleeps 20 ms at a time, same window (ms: what the machine did to everyone);');
  console.log(
    "own: the largest part of a gap beyond advert_int not covered by the probe's lateness within it (ms: the daemon's own); work: the phase's work seen done",
  );
  const W = { gap: 20, own: 6, take: 9, probe: 6, work: 24 };
  const sub = `${'gap'.padEnd(W.gap)}${'own'.padEnd(W.own)}${'takeover'.padEnd(W.take)}${'probe'.padEnd(W.probe)}${'work'.padEnd(W.work)}`;
  const colW = sub.length + 2;
  for (const intervalS of ADVERT_INTS) {
    const runs = out.runs.filter((r) => r.advertIntS === intervalS);
    if (!runs.length) continue;
    console.log(`\nadvert_int ${intervalS} s (target: largest gap <= ${f(intervalS * 1000 + TARGET_SLACK_MS)} ms)`);
    console.log(`${''.padEnd(28)}${runs.map((r) => r.impl.padEnd(colW)).join('')}`);
    console.log(`${'phase'.padEnd(28)}${runs.map(() => `${sub}  `).join('')}`);
    for (const key of ['steady', 'rs-fail', 'rs-recover', 'reload', 'scrape', 'dump', 'whole']) {
      const cells = runs.map((r) => {
        const p = key === 'whole' ? r.whole : r.phases.find((x) => x.phase === key);
        if (!p) return '(not run)'.padEnd(colW);
        if (p.na) return 'n/a'.padEnd(colW);
        const gap = `${f(p.maxGapMs)}${p.overTargetMs > 0 ? ` (+${f(p.overTargetMs)}, ${p.gapsOverTarget}x)` : ''}`;
        const work = p.work ?? (key === 'whole' ? `${f(p.durationS)} s in all` : '');
        return `${gap.padEnd(W.gap)}${f(p.ownMs).padEnd(W.own)}${(p.takeover ? 'YES' : 'no').padEnd(W.take)}${f(p.probeLateMs).padEnd(W.probe)}${work.padEnd(W.work)}  `;
      });
      console.log(`${PHASE_TITLES[key].padEnd(28)}${cells.join('')}`);
    }
    for (const r of runs) {
      console.log(
        `  ${r.impl}: ${r.advertsCaptured.master} MASTER adverts captured, ${r.advertsCaptured.backup} from the BACKUP; ${r.whole.gapsOverTarget} of ${r.whole.gapsMeasured} gaps over target; checks/s at the listener (steady): ${r.checksPerS}; all destinations ${r.startS.allDestinations} s after the VIP`,
      );
      console.log(`  ${r.impl}: largest gaps: ${r.whole.largest.map((g) => `${f(g.ms)} ms (own ${f(g.ownMs)}; ${g.phase}, +${g.atS} s)`).join(', ')}`);
      const cpu = (p) =>
        p.cpuCores
          ? `vrrp ${p.cpuCores.vrrp} checker ${p.cpuCores.checker} parent ${p.cpuCores.parent} listener ${p.cpuCores.listener} backup ${p.cpuCores.backup} machine ${p.cpuCores.machine}`
          : '';
      console.log(
        `  ${r.impl}: CPU cores by phase: ${r.phases
          .filter((p) => p.cpuCores)
          .map((p) => `${p.phase}: ${cpu(p)}`)
          .join('; ')}`,
      );
      if (r.sched)
        console.log(
          `  ${r.impl}: scheduling: ${Object.entries(r.sched)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`,
        );
      for (const p of r.phases) if (p.masterLog) console.log(`  ${r.impl}: MASTER log during ${p.phase}: ${p.masterLog.join(' | ')}`);
      for (const n of r.notes) console.log(`  ${r.impl}: ${n}`);
    }
  }
  console.log(`\ntarget: no gap above advert_int + ${TARGET_SLACK_MS} ms, no takeover`);
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error('run as root');
  fs.mkdirSync(WORK, { recursive: true });
  setup();
  await syslogSink();
  note(`namespaces ${NS.m} (MASTER) and ${NS.b} (BACKUP); ${N} real servers; work dir ${WORK}`);
  const listener = startListener();
  if ((await Promise.race([listener.ready, sleep(120_000).then(() => 'timeout')])) !== 'up') throw new Error('the listener did not start');
  // Keep the listener's state known to run()'s cleanup.
  const ask = listener.ask;
  listener.ask = async (cmd) => {
    const a = await ask(cmd);
    if (cmd === 'down') listener.isDown = true;
    if (cmd === 'up') listener.isDown = false;
    return a;
  };
  const out = {
    realServers: N,
    virtualServers: VS_COUNT,
    delayLoopS: DELAY_LOOP,
    tailS: TAIL_S,
    targetSlackMs: TARGET_SLACK_MS,
    target: `no gap above advert_int + ${TARGET_SLACK_MS} ms, no takeover`,
    runs: /** @type {Run[]} */ ([]),
  };
  const probe = startProbe();
  for (const intervalS of ADVERT_INTS) for (const impl of IMPLS) out.runs.push(await run(impl, intervalS, listener, probe));
  if (json) console.log(JSON.stringify(out));
  else printTables(out);
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(cleanup);
