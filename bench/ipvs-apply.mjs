#!/usr/bin/env node
/**
 * IPVS programming benchmark, tskeepalived vs keepalived in the same kernel (run it inside the VM lab:
 * `npm run bench:ipvs`). By default 1,000 virtual servers x 10 real servers, no checkers, in several
 * shapes of table (forwarding method, scheduler, with or without delay_loop), each daemon with the same file.
 *
 * For each shape and daemon, in a network namespace of its own:
 *  - programming time: from the first virtual server appearing in the kernel to the last destination
 *    (a watcher inside the namespace polls /proc/net/ip_vs; its resolution is one read of that file);
 *  - total from process start to the last destination (emulation inflates a JIT runtime's start-up);
 *  - reload of a config that changes one weight: SIGHUP until the kernel shows the new weight, and, for
 *    tskeepalived, the number of netlink requests the reload sent (from its log). The SIGHUP goes
 *    `--reload-after` seconds (default 5) after the last destination appeared, to both daemons alike: an
 *    operator reloads a running daemon, not one still finishing its start (at 0 the signal lands in the
 *    tail of the start, which then delays the reload).
 * Prints a table and the ratios (tskeepalived / keepalived) per shape; with --json, one JSON object.
 *
 *   node bench/ipvs-apply.mjs [--vs N] [--rs N] [--shapes nat-wrr,dr-wlc-delay,...] [--only DAEMON] [--reload-after S] [--log] [--profile] [--json]
 *
 * --log prints tskeepalived's log lines with their time since process start and since the SIGHUP;
 * --profile runs tskeepalived's processes with --cpu-prof and prints each one's heaviest functions.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(new URL('..', import.meta.url).pathname);
const WORK = '/tmp/ipvs-bench';
const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
const VS = Number(arg('--vs', 1000));
const RS = Number(arg('--rs', 10));
const json = process.argv.includes('--json');
const showLog = process.argv.includes('--log');
const profile = process.argv.includes('--profile');
const RELOAD_AFTER_MS = Number(arg('--reload-after', 5)) * 1000;
const PROF_DIR = path.join(WORK, 'prof');

/** The functions with the most self time in each .cpuprofile under `dir` (one per process). */
function printProfiles(dir, title) {
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
    const prof = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const self = new Map();
    let total = 0;
    prof.samples.forEach((id, i) => {
      const us = prof.timeDeltas[i] ?? 0;
      total += us;
      const cf = byId.get(id).callFrame;
      const key = `${cf.functionName || '(anonymous)'} ${cf.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${cf.lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + us);
    });
    console.log(`--- ${title}: ${f}: ${(total / 1000).toFixed(0)} ms sampled`);
    for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${(us / 1000).toFixed(0).padStart(8)} ms  ${k}`);
  }
}

/** The shapes: forwarding method, scheduler, delay_loop (seconds; none when undefined). */
const SHAPES = {
  'nat-wrr': { kind: 'NAT', sched: 'wrr' },
  'nat-rr-delay': { kind: 'NAT', sched: 'rr', delayLoop: 5 },
  'dr-wlc-delay': { kind: 'DR', sched: 'wlc', delayLoop: 5 },
  'dr-sh': { kind: 'DR', sched: 'sh' },
};
const shapes = arg('--shapes', Object.keys(SHAPES).join(',')).split(',');
for (const s of shapes) if (!SHAPES[s]) throw new Error(`unknown shape ${s} (known: ${Object.keys(SHAPES).join(', ')})`);
const CHANGED_VS = Math.floor(VS / 2);

function sh(cmd) {
  return execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });
}

/** VS services on 192.0.2.1-250, ports from 8001 (250 per port), each with 198.51.100.1-RS (port 80 for NAT). */
function config(shape, changedWeight) {
  let s = 'global_defs {\n  router_id bench\n}\n';
  for (let i = 0; i < VS; i++) {
    const port = 8001 + Math.floor(i / 250);
    // DR reaches the service's own port: the real servers say so (keepalived warns otherwise).
    const rsPort = shape.kind === 'NAT' ? 80 : port;
    s += `virtual_server 192.0.2.${1 + (i % 250)} ${port} {\n`;
    if (shape.delayLoop !== undefined) s += `  delay_loop ${shape.delayLoop}\n`;
    s += `  lb_algo ${shape.sched}\n  lb_kind ${shape.kind}\n  protocol TCP\n`;
    for (let r = 1; r <= RS; r++) {
      const w = changedWeight && i === CHANGED_VS && r === Math.min(5, RS) ? 7 : 1;
      s += `  real_server 198.51.100.${r} ${rsPort} {\n    weight ${w}\n  }\n`;
    }
    s += '}\n';
  }
  return s;
}

/** The changed destination's line in /proc/net/ip_vs (address and port in hex): `-> C6336405:0050 Masq 7`. */
function weightLine(shape) {
  const port = shape.kind === 'NAT' ? 80 : 8001 + Math.floor(CHANGED_VS / 250);
  const addr = (0xc6336400 + Math.min(5, RS)).toString(16).toUpperCase();
  return `-> ${addr}:${port.toString(16).toUpperCase().padStart(4, '0')}\\s+(Masq|Route)\\s+7\\s`;
}

/** Runs inside the namespace: prints `first <ms>` then `done <ms>` (epoch ms), or `weight <ms>`. */
const WATCHER = `
const fs = require('fs');
const want = Number(process.argv[1]), mode = process.argv[2], line = new RegExp(process.argv[3] || 'x');
const buf = Buffer.alloc(1 << 20);
let first = 0;
function read() { const fd = fs.openSync('/proc/net/ip_vs', 'r'); let s = ''; for (;;) { const n = fs.readSync(fd, buf, 0, buf.length, null); if (!n) break; s += buf.toString('latin1', 0, n); } fs.closeSync(fd); return s; }
function head() { const fd = fs.openSync('/proc/net/ip_vs', 'r'); const n = fs.readSync(fd, buf, 0, 4096, null); fs.closeSync(fd); return buf.toString('latin1', 0, n); }
function tick() {
  if (mode === 'weight') {
    if (line.test(read())) { console.log('weight ' + Date.now()); process.exit(0); }
    return setTimeout(tick, 5);
  }
  if (!first) { if (/^(TCP|UDP)/m.test(head())) { first = Date.now(); console.log('first ' + first); } return setTimeout(tick, 2); }
  const n = (read().match(/->/g) || []).length - 1;
  if (n >= want) { console.log('done ' + Date.now()); process.exit(0); }
  setTimeout(tick, 5);
}
console.log('ready'); tick();
`;

function watch(ns, mode, line = '') {
  const p = spawn('ip', ['netns', 'exec', ns, 'node', '-e', WATCHER, String(VS * RS), mode, line], { stdio: ['ignore', 'pipe', 'inherit'] });
  const events = {};
  let ready;
  const isReady = new Promise((r) => (ready = r));
  const done = new Promise((resolve) => {
    let buf = '';
    p.stdout.on('data', (d) => {
      buf += d;
      for (const l of buf.split('\n').slice(0, -1)) {
        const [k, v] = l.split(' ');
        if (k === 'ready') ready();
        else events[k] = Number(v);
      }
      buf = buf.slice(buf.lastIndexOf('\n') + 1);
    });
    p.on('exit', () => resolve(events));
  });
  return { isReady, done, kill: () => p.kill() };
}

async function waitFor(cond, ms) {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function runOne(shapeName, kind) {
  const shape = SHAPES[shapeName];
  const ns = `bench-${kind}`;
  sh(`ip netns del ${ns} 2>/dev/null || true; ip netns add ${ns}`);
  sh(
    `ip netns exec ${ns} sh -c 'ip link set lo up; ip link add eth0 type veth peer name eth1; ip link set eth0 up; ip link set eth1 up; ip addr add 198.51.100.254/24 dev eth0'`,
  );
  const file = path.join(WORK, `${kind}.conf`);
  fs.writeFileSync(file, config(shape, false));
  const pid = path.join(WORK, `${kind}.pid`);
  const cmd =
    kind === 'tskeepalived'
      ? [
          ...(profile ? ['env', `NODE_OPTIONS=--cpu-prof --cpu-prof-dir=${PROF_DIR}`] : []),
          'node',
          path.join(ROOT, 'bin/tskeepalived.js'),
          '-n',
          '-l',
          '-f',
          file,
          '-p',
          pid,
          '-r',
          `${pid}.v`,
          '-c',
          `${pid}.c`,
        ]
      : ['keepalived', '-n', '-l', '-f', file, '-p', pid, '-r', `${pid}.v`, '-c', `${pid}.c`];
  const w = watch(ns, 'count');
  await w.isReady;
  const start = Date.now();
  const d = spawn('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  /** [epoch ms, line] as the lines arrived. */
  const lines = [];
  let partial = '';
  const onData = (x) => {
    log += x;
    partial += x;
    const at = Date.now();
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const l of parts) lines.push([at, l]);
  };
  d.stdout.on('data', onData);
  d.stderr.on('data', onData);
  const ev = await Promise.race([w.done, new Promise((r) => setTimeout(() => r({}), 600_000))]);
  w.kill();
  if (!ev.done) throw new Error(`${kind}: the table never reached ${VS * RS} destinations\n${log.slice(-2000)}`);
  // Reload with one weight changed, once the daemon has run for a while with the whole table.
  await new Promise((r) => setTimeout(r, RELOAD_AFTER_MS));
  fs.writeFileSync(file, config(shape, true));
  const wr = watch(ns, 'weight', weightLine(shape));
  await wr.isReady;
  const logBefore = log.length;
  const hup = Date.now();
  d.kill('SIGHUP');
  const evr = await Promise.race([wr.done, new Promise((r) => setTimeout(() => r({}), 300_000))]);
  wr.kill();
  // The reload's own log line comes after the change (it reports the whole reload).
  await waitFor(() => /Reload finished|reload: configuration unchanged/.test(log.slice(logBefore)), 30_000).catch(() => undefined);
  const m = [...log.slice(logBefore).matchAll(/(\d+) netlink requests/g)].map((x) => Number(x[1]));
  d.kill('SIGTERM');
  await new Promise((r) => d.on('exit', r));
  await waitFor(() => !/^(TCP|UDP)/m.test(sh(`ip netns exec ${ns} cat /proc/net/ip_vs`)), 120_000).catch(() => undefined);
  sh(`ip netns del ${ns}`);
  if (showLog && kind === 'tskeepalived') {
    console.log(`--- ${shapeName} ${kind}: log (ms since start / since SIGHUP)`);
    for (const [at, l] of lines)
      if (!/warning/i.test(l)) console.log(`${String(at - start).padStart(7)} ${at >= hup ? `+${at - hup}`.padStart(7) : '       '}  ${l.slice(0, 220)}`);
  }
  if (profile && kind === 'tskeepalived') {
    await new Promise((r) => setTimeout(r, 2000)); // the children write theirs as they exit
    printProfiles(PROF_DIR, shapeName);
    fs.rmSync(PROF_DIR, { recursive: true, force: true });
  }
  return {
    kind,
    programmingMs: ev.done - ev.first,
    totalMs: ev.done - start,
    reloadMs: evr.weight ? evr.weight - hup : undefined,
    reloadRequests: m.length ? m.reduce((a, b) => a + b, 0) : undefined,
  };
}

const only = arg('--only');
const mods = new Set(['ip_vs', 'veth', ...shapes.map((s) => `ip_vs_${SHAPES[s].sched}`)]);
sh(`modprobe -a ${[...mods].join(' ')}`);
fs.rmSync(WORK, { recursive: true, force: true });
fs.mkdirSync(WORK, { recursive: true });
const ratio = (a, b) => (a !== undefined && b ? +(a / b).toFixed(2) : undefined);
const results = [];
for (const s of shapes) {
  const ka = only === 'tskeepalived' ? {} : await runOne(s, 'keepalived');
  const ts = only === 'keepalived' ? {} : await runOne(s, 'tskeepalived');
  const shape = SHAPES[s];
  results.push({
    shape: s,
    table: `${VS} x ${RS}, ${shape.kind}, ${shape.sched}, ${shape.delayLoop !== undefined ? `delay_loop ${shape.delayLoop}` : 'no delay_loop'}, no checkers`,
    keepalived: ka,
    tskeepalived: ts,
    ratios: { programming: ratio(ts.programmingMs, ka.programmingMs), total: ratio(ts.totalMs, ka.totalMs), reload: ratio(ts.reloadMs, ka.reloadMs) },
  });
  // As each shape ends (a long run that is cut short still says something).
  if (!json) console.error(`${s}: ${JSON.stringify(results.at(-1))}`);
}
if (json) console.log(JSON.stringify(results));
else {
  console.log(`${VS} virtual servers x ${RS} real servers, no checkers`);
  console.log('shape          daemon        programming   from start  one-weight reload  reload requests');
  for (const r of results) {
    for (const x of [r.keepalived, r.tskeepalived].filter((y) => y.kind))
      console.log(
        `${r.shape.padEnd(14)} ${x.kind.padEnd(13)} ${String(x.programmingMs).padStart(8)} ms ${String(x.totalMs).padStart(8)} ms ${String(x.reloadMs ?? '-').padStart(12)} ms ${String(x.reloadRequests ?? '-').padStart(10)}`,
      );
    console.log(
      `${r.shape.padEnd(14)} ratios (tskeepalived / keepalived): programming ${r.ratios.programming}, from start ${r.ratios.total}, reload ${r.ratios.reload}`,
    );
  }
}
process.exit(0);
