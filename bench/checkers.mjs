#!/usr/bin/env node
/**
 * Health-checker benchmark, tskeepalived vs keepalived on the same config in the same kernel (run it in the
 * VM lab: `npm run bench:checkers`; `--rs N` for another size, default 10,000). N real servers
 * (127.0.0.1, one port each, 100 per virtual server) with TCP_CHECK at delay_loop 1 s; a listener process
 * accepts on all N ports, records per port the time between two checks, and closes each connection once
 * the checker has closed it (as a server waiting for a request would).
 *
 * For each daemon, after a warm-up, over a measuring window:
 *  - checks per second actually achieved (accepts at the listener; target N);
 *  - lateness: per real server, the gap between two checks minus delay_loop (p50 / p99 / max);
 *  - CPU: utime+stime of the daemon's processes over the window, as a share of one core (and each part),
 *    and per check; also the whole machine's busy time (/proc/stat) over the window: the kernel's work for
 *    a loopback handshake is charged to whichever process's context it runs in (the daemon's or the
 *    listener's, depending on who closes first), so the machine's total is the cost that cannot be shifted;
 *  - for tskeepalived, in one more run with --metrics-listen (the compared runs use the default, no
 *    endpoint), the checker process's event-loop p99 and max delay (tskeepalived_process_event_loop_lag_*,
 *    asked for alone), and after the
 *    window the cost of one full scrape of every series.
 * --rounds K runs the daemons alternately K times each in the same boot and reports each round and the
 * medians (TCG timing drifts between boots and within one). Prints a table and the ratios; with --json,
 * one JSON object.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(new URL('..', import.meta.url).pathname);
// BENCH_NODE_ARGS: node options for tskeepalived (e.g. --cpu-prof --cpu-prof-dir=DIR).
// CHECKERS_BENCH_DIR: somewhere the host sees (the VM's /tmp is its own) to keep the daemons' logs.
const WORK = process.env.CHECKERS_BENCH_DIR ?? '/tmp/checkers-bench';
const note = (m) => console.error(`bench ${new Date().toISOString().slice(11, 19)} ${m}`);
const argv = process.argv.slice(2);
const opt = (name, dflt) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const N = opt('--rs', 10000);
const WARMUP_S = opt('--warmup', 20);
const WINDOW_S = opt('--window', 30);
const PER_VS = 100;
const BASE = 20000;
const METRICS = 9651;
// tskeepalived runs as configured by default (no metrics endpoint) for the CPU comparison; one more run
// with --metrics-listen reads the event loop's lag and times a full scrape (its CPU is shown, not compared).
const METRICS_KIND = 'tskeepalived+metrics';
const json = argv.includes('--json');
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
const ROUNDS = opt('--rounds', 1);

const sh = (cmd) => execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function config() {
  let s = 'global_defs {\n  router_id bench\n}\n';
  for (let v = 0; v * PER_VS < N; v++) {
    s += `virtual_server 192.0.2.${1 + (v % 250)} ${8001 + Math.floor(v / 250)} {\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n`;
    for (let k = v * PER_VS; k < Math.min(N, (v + 1) * PER_VS); k++)
      s += `  real_server 127.0.0.1 ${BASE + k} {\n    TCP_CHECK {\n      connect_timeout 3\n    }\n  }\n`;
    s += '}\n';
  }
  return s;
}

/** The listener: SIGUSR1 opens a measuring window, SIGUSR2 prints its numbers as one JSON line. */
const LISTENER = `
const net = require('net');
const [base, n] = process.argv.slice(1).map(Number);
const last = new Float64Array(n);
let on = false, t0 = 0, accepts = 0, gaps = [];
for (let i = 0; i < n; i++) {
  const s = net.createServer((c) => {
    // As a web server does with a new connection: wait for the request (here: for the checker to close)
    // instead of closing first. Who closes first decides which side holds TIME_WAIT and does the FIN work,
    // and closing at once made that a race won by whichever daemon was slower to close.
    c.on('error', () => c.destroy());
    c.on('end', () => c.destroy());
    c.resume();
    const now = performance.now();
    if (on) { accepts++; if (last[i]) gaps.push(now - last[i]); }
    last[i] = now;
  });
  s.on('error', (e) => { console.error('listen ' + (base + i) + ': ' + e.message); process.exit(1); });
  s.listen({ port: base + i, host: '127.0.0.1', backlog: 64 });
}
process.on('SIGUSR1', () => { on = true; t0 = performance.now(); accepts = 0; gaps = []; });
process.on('SIGUSR2', () => {
  const secs = (performance.now() - t0) / 1000;
  gaps.sort((a, b) => a - b);
  const q = (p) => (gaps.length ? gaps[Math.min(gaps.length - 1, Math.floor(p * gaps.length))] - 1000 : NaN);
  console.log(JSON.stringify({ perSecond: accepts / secs, p50: q(0.5), p99: q(0.99), max: gaps.length ? gaps[gaps.length - 1] - 1000 : NaN, silent: last.filter((t) => performance.now() - t > 3000).length }));
  on = false;
});
setTimeout(() => console.log('ready'), 100);
`;

/** User and system CPU ticks (1/100 s) of the processes. */
function cpuTicks(pids) {
  const t = { user: 0, sys: 0 };
  for (const p of pids) {
    try {
      const f = fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      t.user += Number(f[11]);
      t.sys += Number(f[12]);
    } catch {
      // gone
    }
  }
  return t;
}

/** Busy and total jiffies of the whole machine (/proc/stat cpu line), and the number of CPUs. */
function machineTicks() {
  const lines = fs.readFileSync('/proc/stat', 'utf8').split('\n');
  const f = lines[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] ?? 0);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total, cpus: lines.filter((l) => /^cpu\d/.test(l)).length };
}

/** The daemon's processes: the one started and its children (keepalived's checker child). */
function tree(pid) {
  const out = [pid];
  for (const line of sh(`ps -e -o pid=,ppid=`).trim().split('\n')) {
    const [p, pp] = line.trim().split(/\s+/).map(Number);
    if (out.includes(pp)) out.push(p);
  }
  return out;
}

async function lineFrom(proc, re, ms) {
  let buf = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${re} within ${ms} ms: ${buf.slice(-500)}`)), ms);
    proc.stdout.on('data', function on(d) {
      buf += d;
      const m = buf.split('\n').find((l) => re.test(l));
      if (m) {
        clearTimeout(t);
        proc.stdout.off('data', on);
        resolve(m);
      }
    });
  });
}

async function runOne(kind, listener) {
  const file = path.join(WORK, 'keepalived.conf');
  const pid = path.join(WORK, `${kind}.pid`);
  const log = fs.openSync(path.join(WORK, `${kind}.log`), 'w');
  const cmd = kind.startsWith('tskeepalived')
    ? [
        'node',
        ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
        path.join(ROOT, 'bin/tskeepalived.js'),
        '-n',
        '-l',
        '-C',
        '-f',
        file,
        '-p',
        pid,
        '--status-socket',
        'none',
        ...(kind === METRICS_KIND ? ['--metrics-listen', `127.0.0.1:${METRICS}`] : []),
      ]
    : ['keepalived', '-n', '-l', '-C', '-f', file, '-p', pid, '-c', `${pid}.check`];
  const d = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', log, log] });
  note(`${kind} started (log: ${path.join(WORK, `${kind}.log`)}); warm-up ${WARMUP_S} s`);
  await sleep(WARMUP_S * 1000);
  const pids = tree(d.pid);
  // Each process's event-loop histogram restarts at each look: this one opens the window.
  // Only that family: a full scrape renders every real server's series, a cost measured on its own below.
  if (kind === METRICS_KIND)
    sh(`curl -sf -g -m 30 'http://127.0.0.1:${METRICS}/metrics?name[]=tskeepalived_process_event_loop_lag_max_seconds' > /dev/null || true`);
  listener.kill('SIGUSR1');
  note(`${kind}: window open`);
  const c0 = cpuTicks(pids);
  const l0 = cpuTicks(tree(listener.pid));
  const m0 = machineTicks();
  const t0 = performance.now();
  await sleep(WINDOW_S * 1000);
  const stats = lineFrom(listener, /^\{/, 60_000); // an overloaded listener (10,000 ports under emulation) is slow to answer
  listener.kill('SIGUSR2');
  const c1 = cpuTicks(pids);
  const l1 = cpuTicks(tree(listener.pid));
  const m1 = machineTicks();
  const secs = (performance.now() - t0) / 1000;
  const r = {
    kind,
    ...JSON.parse(await stats),
    cpuCores: (c1.user + c1.sys - c0.user - c0.sys) / 100 / secs,
    userCores: (c1.user - c0.user) / 100 / secs,
    sysCores: (c1.sys - c0.sys) / 100 / secs,
  };
  r.listenerCores = (l1.user + l1.sys - l0.user - l0.sys) / 100 / secs;
  // Sockets in TIME_WAIT on the checker's side (local port not a listener's): the closer first holds them.
  try {
    r.timeWait = Number(
      sh(`ss -Htan state time-wait | awk '{split($3, a, ":"); p = a[length(a)]; if (p < ${BASE} || p >= ${BASE + N}) n++} END {print n + 0}'`).trim(),
    );
  } catch {
    r.timeWait = NaN;
  }
  r.machineCores = ((m1.busy - m0.busy) / (m1.total - m0.total)) * m1.cpus;
  r.cpuUsPerCheck = (r.cpuCores / r.perSecond) * 1e6;
  r.machineUsPerCheck = (r.machineCores / r.perSecond) * 1e6;
  if (kind === METRICS_KIND) {
    try {
      // The checker process's loop (the checks run there), over the window.
      const lag = ['tskeepalived_process_event_loop_lag_p99_seconds', 'tskeepalived_process_event_loop_lag_max_seconds'].map((n) => `name[]=${n}`).join('&');
      const m = sh(`curl -sf -g -m 30 'http://127.0.0.1:${METRICS}/metrics?${lag}'`);
      const g = (name) => Number(new RegExp(`^${name}\\{process="checkers"\\} (\\S+)`, 'm').exec(m)?.[1]);
      r.loopLagP99Ms = g('tskeepalived_process_event_loop_lag_p99_seconds') * 1000;
      r.loopLagMaxMs = g('tskeepalived_process_event_loop_lag_max_seconds') * 1000;
      // One full scrape (every family, N real servers' series): its wall time, the daemon's CPU, its size.
      const s0 = cpuTicks(pids);
      const w0 = performance.now();
      r.fullScrapeBytes = Number(sh(`curl -sf -m 120 http://127.0.0.1:${METRICS}/metrics | wc -c`).trim());
      r.fullScrapeS = (performance.now() - w0) / 1000;
      const s1 = cpuTicks(pids);
      r.fullScrapeCpuS = (s1.user + s1.sys - s0.user - s0.sys) / 100;
    } catch (e) {
      r.metricsError = /** @type {Error} */ (e).message;
    }
  }
  note(`${kind}: window closed, stopping`);
  d.kill('SIGTERM');
  const killer = setTimeout(() => {
    r.stopNote = 'did not stop within 60 s of SIGTERM: killed';
    d.kill('SIGKILL');
  }, 60_000);
  await /** @type {Promise<void>} */ (new Promise((res) => (d.exitCode !== null ? res() : d.once('exit', res))));
  clearTimeout(killer);
  try {
    sh('ipvsadm -C 2>/dev/null');
  } catch {
    // no IPVS here
  }
  return r;
}

async function main() {
  fs.mkdirSync(WORK, { recursive: true });
  sh('modprobe -a ip_vs ip_vs_rr || true'); // the VM's kernel does not load modules on demand
  fs.writeFileSync(path.join(WORK, 'keepalived.conf'), config());
  const listener = spawn(
    'sh',
    ['-c', `ulimit -n 65536 2>/dev/null || ulimit -n $(ulimit -Hn); exec node -e "${LISTENER.replace(/"/g, '\\"').replace(/\$/g, '\\$')}" ${BASE} ${N}`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await lineFrom(listener, /^ready/, 120_000);
  const rounds = [];
  for (let round = 0; round < ROUNDS; round++)
    for (const kind of ['keepalived', 'tskeepalived']) if (!only || only === kind) rounds.push({ round: round + 1, ...(await runOne(kind, listener)) });
  if (!only || only === 'tskeepalived') rounds.push({ round: 1, ...(await runOne(METRICS_KIND, listener)) });
  listener.kill('SIGKILL');
  // One row per daemon: each number the median over the rounds.
  const median = (xs) => {
    const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
    return v.length ? (v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2) : NaN;
  };
  const results = [...new Set(rounds.map((r) => r.kind))].map((kind) => {
    const mine = rounds.filter((r) => r.kind === kind);
    const row = { ...mine[mine.length - 1] };
    delete row.round;
    for (const k of Object.keys(row)) if (typeof row[k] === 'number') row[k] = median(mine.map((r) => r[k]));
    return row;
  });
  const ka = results.find((r) => r.kind === 'keepalived');
  const ts = results.find((r) => r.kind === 'tskeepalived');
  const out = {
    realServers: N,
    delayLoopS: 1,
    warmupS: WARMUP_S,
    windowS: WINDOW_S,
    rounds: ROUNDS,
    results,
    ...(ROUNDS > 1 ? { eachRound: rounds } : {}),
    ...(ka && ts
      ? {
          cpuRatio: ts.cpuCores / ka.cpuCores,
          cpuPerCheckRatio: ts.cpuUsPerCheck / ka.cpuUsPerCheck,
          machinePerCheckRatio: ts.machineUsPerCheck / ka.machineUsPerCheck,
          checksRatio: ts.perSecond / ka.perSecond,
        }
      : {}),
  };
  for (const r of results) if (r.metricsError) console.error(`${r.kind}: metrics: ${r.metricsError}`);
  for (const r of results) if (r.stopNote) console.error(`${r.kind}: ${r.stopNote}`);
  if (json) return console.log(JSON.stringify(out));
  const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
  console.log(
    `${N} real servers, TCP_CHECK, delay_loop 1 s; warm-up ${WARMUP_S} s, window ${WINDOW_S} s${ROUNDS > 1 ? `; ${ROUNDS} rounds, alternating, medians` : ''}`,
  );
  const head = 'daemon        checks/s  late p50/p99/max ms   CPU cores (user+sys)  us/check  machine cores, us/check  loop lag p99/max ms  silent RS';
  const row = (r, name = r.kind) =>
    `${name.padEnd(13)} ${f(r.perSecond, 0).padStart(8)}  ${`${f(r.p50, 0)} / ${f(r.p99, 0)} / ${f(r.max, 0)}`.padEnd(20)} ${`${f(r.cpuCores, 2)} (${f(r.userCores, 2)}+${f(r.sysCores, 2)})`.padStart(20)}  ${f(r.cpuUsPerCheck, 0).padStart(8)}  ${`${f(r.machineCores, 2)}, ${f(r.machineUsPerCheck, 0)}`.padStart(23)}  ${`${f(r.loopLagP99Ms)} / ${f(r.loopLagMaxMs)}`.padEnd(19)}  ${r.silent}`;
  if (ROUNDS > 1) {
    console.log(head.replace('daemon       ', 'round        '));
    for (const r of rounds) console.log(row(r, `${r.round} ${r.kind}`));
    console.log('medians:');
  }
  console.log(head);
  for (const r of results) console.log(row(r));
  for (const r of results)
    if (r.fullScrapeS !== undefined)
      console.log(
        `${r.kind}: one full /metrics scrape: ${f(r.fullScrapeBytes / 1e6, 1)} MB in ${f(r.fullScrapeS, 2)} s, ${f(r.fullScrapeCpuS, 2)} CPU-s of the daemon (checks included)`,
      );
  if (out.cpuRatio !== undefined)
    console.log(
      `ratios tskeepalived/keepalived: CPU ${f(out.cpuRatio, 2)}, CPU per check ${f(out.cpuPerCheckRatio, 2)}, machine CPU per check ${f(out.machinePerCheckRatio, 2)}, checks/s ${f(out.checksRatio, 2)}`,
    );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
