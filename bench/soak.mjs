#!/usr/bin/env node
/**
 * Soak: tskeepalived running for a long time (default 60 minutes) under the churn of a real director, in the
 * VM lab's kernel (IPVS): `npm run soak:lab` (or `node test/lab/vm.mjs --timeout 4200 -- node bench/soak.mjs
 * --minutes 60`).
 *
 * - One VRRP instance (MASTER alone on a veth) and a NAT virtual server with RS real servers (127.0.0.1, one
 *   port each) under TCP_CHECK at delay_loop 1 s; a listener in this process accepts on every port.
 * - Every FLAP seconds a random quarter of the listeners close (their checks fail, IPVS loses them) and
 *   the closed ones reopen: real servers flapping all the time.
 * - Every minute a SIGHUP with one real server's weight changed; every 15 s a full /metrics scrape.
 * - Every minute a sample: resident memory, open descriptors, timers and active resources of each of the
 *   daemon's processes (its own metrics and /proc), and the IPVS table.
 *
 * Asserted at the end (exit 1 otherwise, with the reason): the daemon ran throughout, no missed check (a
 * listener that stayed open was checked at least every 4 s at delay_loop 1: two intervals and 2 s of slack for
 * the emulated machine; the worst gap is printed), every reload applied, every
 * scrape answered, and no leak: descriptors and timers of the last sample within a small margin of the
 * sample at minute 2, resident memory within 10 % of it. The IPVS table's size and the open listeners are
 * printed with each sample. Prints one JSON line per sample and a JSON summary last.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

const ROOT = path.resolve(new URL('..', import.meta.url).pathname);
const argv = process.argv.slice(2);
const opt = (name, dflt) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const MINUTES = opt('--minutes', 60);
const RS = opt('--rs', 200);
const FLAP_S = opt('--flap', 5);
const BASE = 21000;
/** A check is missed when an open listener goes this long without one: two delay_loops and 2 s of slack
 * (the VM lab is emulated, ~10x slower than metal). */
const MISSED_MS = 4000;
const METRICS = '127.0.0.1:9659';
const WORK = process.env.SOAK_DIR ?? '/tmp/soak';
const sh = (cmd) => execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const note = (m) => console.error(`soak ${new Date().toISOString().slice(11, 19)} ${m}`);

fs.rmSync(WORK, { recursive: true, force: true });
fs.mkdirSync(WORK, { recursive: true });
sh('modprobe -a ip_vs ip_vs_rr veth');
sh(
  'ip link del sk0 2>/dev/null || true; ip link add sk0 type veth peer name sk1 && ip addr add 192.0.2.1/24 dev sk0 && ip link set sk0 up && ip link set sk1 up && ip link set lo up',
);
sh('ipvsadm -C');

function config(round) {
  let s = `global_defs {\n  router_id soak\n}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface sk0\n  virtual_router_id 71\n  priority 150\n  advert_int 1\n  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n`;
  s += `virtual_server 192.0.2.100 80 {\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n`;
  for (let k = 0; k < RS; k++) {
    // One weight changes with each reload.
    const w = k === round % RS ? 2 + (round % 3) : 1;
    s += `  real_server 127.0.0.1 ${BASE + k} {\n    weight ${w}\n    TCP_CHECK {\n      connect_timeout 1\n    }\n  }\n`;
  }
  return s + '}\n';
}

// The listeners: open ones accept (and record when each was checked), closed ones refuse.
const servers = new Array(RS).fill(null);
const lastCheck = new Float64Array(RS);
const openedAt = new Float64Array(RS);
let worstGapMs = 0;
let missed = 0;
let checks = 0;
function open(k) {
  const s = net.createServer((c) => {
    c.on('error', () => c.destroy());
    c.on('end', () => c.destroy());
    c.resume();
    const now = performance.now();
    checks++;
    if (lastCheck[k] && lastCheck[k] >= openedAt[k]) {
      const gap = now - lastCheck[k];
      worstGapMs = Math.max(worstGapMs, gap);
      if (gap > MISSED_MS) missed++;
    }
    lastCheck[k] = now;
  });
  s.listen({ port: BASE + k, host: '127.0.0.1', backlog: 64 });
  servers[k] = s;
  openedAt[k] = performance.now();
}
function close(k) {
  servers[k]?.close();
  servers[k] = null;
}
for (let k = 0; k < RS; k++) open(k);

const conf = path.join(WORK, 'keepalived.conf');
fs.writeFileSync(conf, config(0));
const log = fs.openSync(path.join(WORK, 'tskeepalived.log'), 'w');
const d = spawn(
  process.execPath,
  [
    path.join(ROOT, 'bin/tskeepalived.js'),
    '-n',
    '-l',
    '-f',
    conf,
    '-p',
    path.join(WORK, 'tsk.pid'),
    '--status-socket',
    path.join(WORK, 'tsk.sock'),
    '--metrics-listen',
    METRICS,
  ],
  { stdio: ['ignore', log, log] },
);
let daemonExit = null;
d.on('exit', (code, sig) => (daemonExit = `${code ?? sig}`));

async function scrape(query = '') {
  const r = await fetch(`http://${METRICS}/metrics${query}`);
  return r.text();
}
function family(text, name) {
  const out = {};
  for (const m of text.matchAll(new RegExp(`^${name}\\{process="(\\w+)"\\} ([0-9.e+]+)$`, 'gm'))) out[m[1]] = Number(m[2]);
  return out;
}
function fds(pid) {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}
function childPids() {
  return sh(`pgrep -f 'tskeepalived-(vrrp|checkers)' || true`).split('\n').filter(Boolean).map(Number);
}

const samples = [];
const failures = [];
let reloads = 0;
let scrapes = 0;
let scrapeErrors = 0;
const t0 = Date.now();
const end = t0 + MINUTES * 60_000;
// Started: the metrics endpoint answers (the VM is emulated: give it time), then the checks run a while.
const logTail = () => fs.readFileSync(path.join(WORK, 'tskeepalived.log'), 'utf8').split('\n').slice(-30).join('\n');
for (let i = 0; ; i++) {
  try {
    await scrape('?name[]=tskeepalived_reloads_total');
    break;
  } catch {
    if (i >= 120 || daemonExit !== null) {
      console.error(`the daemon did not answer on ${METRICS} (exit ${daemonExit}):\n${logTail()}`);
      process.exit(1);
    }
    await sleep(500);
  }
}
await sleep(10_000);
note(`running ${MINUTES} min: ${RS} real servers, flaps every ${FLAP_S} s, a reload every 60 s, a scrape every 15 s`);

let nextFlap = Date.now() + FLAP_S * 1000;
let nextReload = Date.now() + 60_000;
let nextScrape = Date.now() + 15_000;
let nextSample = Date.now();
let round = 0;
while (Date.now() < end && daemonExit === null) {
  const now = Date.now();
  if (now >= nextFlap) {
    nextFlap += FLAP_S * 1000;
    for (let k = 0; k < RS; k++) if (!servers[k]) open(k);
    for (let k = 0; k < RS; k++) if (Math.random() < 0.25) close(k);
  }
  if (now >= nextScrape) {
    nextScrape += 15_000;
    try {
      await scrape();
      scrapes++;
    } catch {
      scrapeErrors++;
    }
  }
  if (now >= nextReload) {
    nextReload += 60_000;
    fs.writeFileSync(conf, config(++round));
    d.kill('SIGHUP');
    reloads++;
  }
  if (now >= nextSample) {
    nextSample += 60_000;
    const text = await scrape(
      '?name[]=tskeepalived_process_resident_memory_bytes&name[]=tskeepalived_process_active_timers&name[]=tskeepalived_process_active_resources&name[]=tskeepalived_reloads_total',
    );
    const pids = [/** @type {number} */ (d.pid), ...childPids()];
    const s = {
      minute: Math.round((now - t0) / 60_000),
      rssMiB: Object.fromEntries(Object.entries(family(text, 'tskeepalived_process_resident_memory_bytes')).map(([k, v]) => [k, +(v / 2 ** 20).toFixed(1)])),
      timers: family(text, 'tskeepalived_process_active_timers'),
      resources: family(text, 'tskeepalived_process_active_resources'),
      fds: pids.reduce((n, p) => n + (fds(p) ?? 0), 0),
      reloadsApplied: Number(/tskeepalived_reloads_total\{outcome="applied"\} (\d+)/.exec(text)?.[1] ?? NaN),
      reloadsRefused: Number(/tskeepalived_reloads_total\{outcome="refused"\} (\d+)/.exec(text)?.[1] ?? NaN),
      ipvsDests: Number(sh("ipvsadm -S -n | grep -c '^-a' || true").trim()),
      open: servers.filter(Boolean).length,
      worstGapMs: Math.round(worstGapMs),
      missed,
      checks,
    };
    samples.push(s);
    console.log(JSON.stringify(s));
  }
  await sleep(100);
}

d.kill('SIGTERM');
await /** @type {Promise<void>} */ (new Promise((r) => (daemonExit !== null ? r() : d.once('exit', r))));
for (let k = 0; k < RS; k++) close(k);

const total = (o) => Object.values(o).reduce((a, b) => a + b, 0);
const warm = samples[Math.min(2, samples.length - 1)];
const last = samples.at(-1);
if (daemonExit !== null && Date.now() < end) failures.push(`the daemon exited (${daemonExit}) before the end`);
if (missed > 0) failures.push(`${missed} missed checks (a gap over ${MISSED_MS / 1000} s on an open listener)`);
if (scrapeErrors > 0) failures.push(`${scrapeErrors} scrapes failed`);
if (last && last.reloadsRefused > 0) failures.push(`${last.reloadsRefused} reloads refused`);
if (warm && last) {
  if (last.fds > warm.fds + 5) failures.push(`descriptors grew ${warm.fds} -> ${last.fds}`);
  if (total(last.timers) > total(warm.timers) + 10) failures.push(`timers grew ${total(warm.timers)} -> ${total(last.timers)}`);
  if (total(last.rssMiB) > total(warm.rssMiB) * 1.1) failures.push(`resident memory grew ${total(warm.rssMiB)} -> ${total(last.rssMiB)} MiB (over 10 %)`);
}
if (failures.length) console.error(logTail());
const summary = {
  minutes: MINUTES,
  realServers: RS,
  flapS: FLAP_S,
  reloads,
  scrapes,
  checks,
  worstGapMs: Math.round(worstGapMs),
  missed,
  first: warm,
  last,
  pass: failures.length === 0,
  failures,
};
console.log(JSON.stringify(summary));
sh('ipvsadm -C; ip link del sk0 2>/dev/null || true');
process.exit(failures.length === 0 ? 0 : 1);
