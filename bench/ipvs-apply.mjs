#!/usr/bin/env node
/**
 * IPVS programming benchmark, tskeepalived vs keepalived in the same kernel (run it inside the VM lab:
 * `npm run bench:ipvs`). 1,000 virtual servers x 10 real servers, no checkers.
 *
 * For each daemon, in a network namespace of its own:
 *  - programming time: from the first virtual server appearing in the kernel to the 10,000th destination
 *    (a watcher inside the namespace polls /proc/net/ip_vs; its resolution is one read of that file);
 *  - total from process start to the 10,000th destination (emulation inflates a JIT runtime's start-up);
 *  - reload of a config that changes one weight: SIGHUP until the kernel shows the new weight, and, for
 *    tskeepalived, the number of netlink requests the reload sent (from its log).
 * Prints a table and the ratios; with --json, one JSON object.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(new URL('..', import.meta.url).pathname);
const WORK = '/tmp/ipvs-bench';
const VS = 1000;
const RS = 10;
const json = process.argv.includes('--json');

function sh(cmd) {
  return execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });
}

/** 1,000 services on 192.0.2.1-250 ports 8001-8004, each with 198.51.100.1-10:80. */
function config(changedWeight) {
  let s = 'global_defs {\n  router_id bench\n}\n';
  for (let i = 0; i < VS; i++) {
    s += `virtual_server 192.0.2.${1 + (i % 250)} ${8001 + Math.floor(i / 250)} {\n  lb_algo wrr\n  lb_kind NAT\n  protocol TCP\n`;
    for (let r = 1; r <= RS; r++) {
      const w = changedWeight && i === 500 && r === 5 ? 7 : 1;
      s += `  real_server 198.51.100.${r} 80 {\n    weight ${w}\n  }\n`;
    }
    s += '}\n';
  }
  return s;
}

/** Runs inside the namespace: prints `first <ms>` then `done <ms>` (epoch ms), or `weight <ms>`. */
const WATCHER = `
const fs = require('fs');
const want = Number(process.argv[1]), mode = process.argv[2];
const buf = Buffer.alloc(1 << 20);
let first = 0;
function read() { const fd = fs.openSync('/proc/net/ip_vs', 'r'); let s = ''; for (;;) { const n = fs.readSync(fd, buf, 0, buf.length, null); if (!n) break; s += buf.toString('latin1', 0, n); } fs.closeSync(fd); return s; }
function head() { const fd = fs.openSync('/proc/net/ip_vs', 'r'); const n = fs.readSync(fd, buf, 0, 4096, null); fs.closeSync(fd); return buf.toString('latin1', 0, n); }
function tick() {
  if (mode === 'weight') {
    if (/-> C6336405:0050\\s+Masq\\s+7/.test(read())) { console.log('weight ' + Date.now()); process.exit(0); }
    return setTimeout(tick, 5);
  }
  if (!first) { if (/^(TCP|UDP)/m.test(head())) { first = Date.now(); console.log('first ' + first); } return setTimeout(tick, 2); }
  const n = (read().match(/->/g) || []).length - 1;
  if (n >= want) { console.log('done ' + Date.now()); process.exit(0); }
  setTimeout(tick, 5);
}
console.log('ready'); tick();
`;

function watch(ns, mode) {
  const p = spawn('ip', ['netns', 'exec', ns, 'node', '-e', WATCHER, String(VS * RS), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const events = {};
  let ready;
  const isReady = new Promise((r) => (ready = r));
  const done = new Promise((resolve) => {
    let buf = '';
    p.stdout.on('data', (d) => {
      buf += d;
      for (const line of buf.split('\n').slice(0, -1)) {
        const [k, v] = line.split(' ');
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

async function runOne(kind) {
  const ns = `bench-${kind}`;
  sh(`ip netns del ${ns} 2>/dev/null || true; ip netns add ${ns}`);
  sh(`ip netns exec ${ns} sh -c 'ip link set lo up; ip link add eth0 type veth peer name eth1; ip link set eth0 up; ip link set eth1 up; ip addr add 198.51.100.254/24 dev eth0'`);
  const file = path.join(WORK, `${kind}.conf`);
  fs.writeFileSync(file, config(false));
  const pid = path.join(WORK, `${kind}.pid`);
  const cmd =
    kind === 'tskeepalived'
      ? ['node', path.join(ROOT, 'bin/tskeepalived.js'), '-n', '-l', '-f', file, '-p', pid]
      : ['keepalived', '-n', '-l', '-f', file, '-p', pid, '-r', `${pid}.v`, '-c', `${pid}.c`];
  const w = watch(ns, 'count');
  await w.isReady;
  const start = Date.now();
  const d = spawn('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  d.stdout.on('data', (x) => (log += x));
  d.stderr.on('data', (x) => (log += x));
  const ev = await Promise.race([w.done, new Promise((r) => setTimeout(() => r({}), 600_000))]);
  w.kill();
  if (!ev.done) throw new Error(`${kind}: the table never reached ${VS * RS} destinations\n${log.slice(-2000)}`);
  // Reload with one weight changed.
  fs.writeFileSync(file, config(true));
  const wr = watch(ns, 'weight');
  await wr.isReady;
  const logBefore = log.length;
  const hup = Date.now();
  d.kill('SIGHUP');
  const evr = await Promise.race([wr.done, new Promise((r) => setTimeout(() => r({}), 300_000))]);
  wr.kill();
  await new Promise((r) => setTimeout(r, 500));
  const m = /(\d+) netlink requests/.exec(log.slice(logBefore));
  d.kill('SIGTERM');
  await new Promise((r) => d.on('exit', r));
  await waitFor(() => !/^(TCP|UDP)/m.test(sh(`ip netns exec ${ns} cat /proc/net/ip_vs`)), 120_000).catch(() => undefined);
  sh(`ip netns del ${ns}`);
  return {
    kind,
    programmingMs: ev.done - ev.first,
    totalMs: ev.done - start,
    reloadMs: evr.weight ? evr.weight - hup : undefined,
    reloadRequests: m ? Number(m[1]) : undefined,
  };
}

sh('modprobe -a ip_vs ip_vs_wrr veth');
fs.rmSync(WORK, { recursive: true, force: true });
fs.mkdirSync(WORK, { recursive: true });
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const ka = only === 'tskeepalived' ? {} : await runOne('keepalived');
const ts = only === 'keepalived' ? {} : await runOne('tskeepalived');
const ratio = (a, b) => (a !== undefined && b ? +(a / b).toFixed(2) : undefined);
const result = {
  config: `${VS} virtual servers x ${RS} real servers, no checkers`,
  keepalived: ka,
  tskeepalived: ts,
  ratios: { programming: ratio(ts.programmingMs, ka.programmingMs), total: ratio(ts.totalMs, ka.totalMs), reload: ratio(ts.reloadMs, ka.reloadMs) },
};
if (json) console.log(JSON.stringify(result));
else {
  console.log(result.config);
  console.log('daemon        programming  from start  one-weight reload  reload requests');
  for (const r of [ka, ts].filter((x) => x.kind)) console.log(`${r.kind.padEnd(13)} ${String(r.programmingMs).padStart(8)} ms ${String(r.totalMs).padStart(8)} ms ${String(r.reloadMs ?? '-').padStart(12)} ms ${String(r.reloadRequests ?? '-').padStart(10)}`);
  console.log(`ratios (tskeepalived / keepalived): programming ${result.ratios.programming}, from start ${result.ratios.total}, reload ${result.ratios.reload}`);
}
process.exit(0);
