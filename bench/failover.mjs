// Failover benchmark, tskeepalived side by side with keepalived in the same run (as root, iproute2 and
// keepalived installed). Two directors in network namespaces on a veth pair, VRRPv3, priorities 150/100;
// each round starts both, waits for the MASTER, kills it with SIGKILL and measures until the BACKUP holds the
// VIP (polled every ~3 ms with `ip addr`, the same for both implementations). Also counts spurious
// transitions of a steady pair. Usage: node bench/failover.mjs [rounds=10] [steadySeconds=20]
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.join(here, '../bin/tskeepalived.js');
const rounds = Number(process.argv[2] ?? 10);
const steadyS = Number(process.argv[3] ?? 20);
const tag = String(process.pid % 10000);
const NS = { a: `bfa${tag}`, b: `bfb${tag}` };
const IF = { a: `bfva${tag}`, b: `bfvb${tag}` };
const VIP = '192.0.2.100';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-bench-'));
const sh = (...a) => {
  const r = spawnSync(a[0], a.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${a.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const has = (s) => spawnSync('ip', ['-n', NS[s], '-4', '-o', 'addr', 'show', 'dev', IF[s]], { encoding: 'utf8' }).stdout.includes(`${VIP}/`);

function setup() {
  for (const s of ['a', 'b']) sh('ip', 'netns', 'add', NS[s]);
  sh('ip', 'link', 'add', IF.a, 'type', 'veth', 'peer', 'name', IF.b);
  for (const [s, ip] of [
    ['a', '192.0.2.1'],
    ['b', '192.0.2.2'],
  ]) {
    sh('ip', 'link', 'set', IF[s], 'netns', NS[s]);
    sh('ip', '-n', NS[s], 'addr', 'add', `${ip}/24`, 'dev', IF[s]);
    sh('ip', '-n', NS[s], 'link', 'set', IF[s], 'up');
  }
}
function cleanup() {
  for (const n of Object.values(NS)) {
    spawnSync('sh', ['-c', `ip netns pids ${n} | xargs -r kill -9`]);
    spawnSync('ip', ['netns', 'del', n]);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
function conf(s, prio, intervalS) {
  const f = path.join(dir, `${s}.conf`);
  fs.writeFileSync(
    f,
    `vrrp_instance VI_1 {\n  state BACKUP\n  interface ${IF[s]}\n  virtual_router_id 51\n  priority ${prio}\n  advert_int ${intervalS}\n  version 3\n  virtual_ipaddress {\n    ${VIP}/24\n  }\n}\n`,
  );
  return f;
}
function start(impl, s, prio, intervalS) {
  const f = conf(s, prio, intervalS);
  const pid = path.join(dir, `${impl}-${s}.pid`);
  fs.rmSync(pid, { force: true });
  fs.rmSync(`${pid}.vrrp`, { force: true });
  const args = impl === 'keepalived' ? ['keepalived', '-n', '-f', f, '-p', pid, '-r', `${pid}.vrrp`] : [process.execPath, BIN, '-n', '-f', f, '-p', pid];
  const p = spawn('ip', ['netns', 'exec', NS[s], ...args], { stdio: 'ignore' });
  return { p, pid };
}
function reset() {
  for (const s of ['a', 'b']) {
    spawnSync('sh', ['-c', `ip netns pids ${NS[s]} | xargs -r kill -9`]);
    spawnSync('ip', ['-n', NS[s], 'addr', 'del', `${VIP}/24`, 'dev', IF[s]]);
  }
  spawnSync('sleep', ['0.3']);
}
async function waitFor(cond, ms) {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    if (cond()) return performance.now() - t0;
    await sleep(1);
  }
  return NaN;
}
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

async function failover(impl, intervalS) {
  const times = [];
  for (let i = 0; i < rounds; i++) {
    reset();
    const a = start(impl, 'a', 150, intervalS);
    start(impl, 'b', 100, intervalS);
    await waitFor(() => has('a'), 15000);
    await sleep(1000);
    // keepalived's parent respawns its VRRP child: kill the whole namespace's processes at once.
    const t0 = performance.now();
    spawnSync('sh', ['-c', `ip netns pids ${NS.a} | xargs -r kill -9`]);
    const t = await waitFor(() => has('b'), 10000);
    if (Number.isNaN(t)) throw new Error(`${impl}: the BACKUP never took the VIP (round ${i + 1})`);
    times.push(performance.now() - t0);
    void a;
  }
  reset();
  return { medianMs: +median(times).toFixed(1), worstMs: +Math.max(...times).toFixed(1), rounds };
}

async function steady(impl, intervalS) {
  reset();
  start(impl, 'a', 150, intervalS);
  start(impl, 'b', 100, intervalS);
  if (Number.isNaN(await waitFor(() => has('a') && !has('b'), 15000))) throw new Error(`${impl}: no stable MASTER for the steady run`);
  await sleep(500);
  let flips = 0;
  const t0 = Date.now();
  while (Date.now() - t0 < steadyS * 1000) {
    if (!has('a') || has('b')) flips++;
    await sleep(20);
  }
  reset();
  return flips;
}

try {
  if (process.getuid?.() !== 0) throw new Error('run as root');
  setup();
  const out = {};
  for (const intervalS of [0.1, 0.01]) {
    for (const impl of ['tskeepalived', 'keepalived']) {
      out[`${impl} advert_int ${intervalS}`] = { failover: await failover(impl, intervalS), spuriousSamples: await steady(impl, intervalS) };
    }
    const ts = out[`tskeepalived advert_int ${intervalS}`].failover.medianMs;
    const ka = out[`keepalived advert_int ${intervalS}`].failover.medianMs;
    out[`ratio advert_int ${intervalS}`] = +(ts / ka).toFixed(2);
  }
  console.log(JSON.stringify(out, null, 2));
} finally {
  cleanup();
}
