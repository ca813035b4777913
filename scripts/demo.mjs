#!/usr/bin/env node
// `npm run demo` (as root): a namespace lab on this machine — a client and two directors on one switch,
// tskeepalived on both directors (conf/demo-directors.conf), a tiny web server on each director that
// answers with its name. Shows the election, kills the MASTER with SIGKILL, shows the BACKUP taking the VIP
// and the client still reaching it, then removes everything it created (also on failure or Ctrl-C).
// Traffic stays inside the namespaces; addresses are RFC 5737 documentation addresses.
// On a kernel with IPVS it runs the full LVS lab instead (scripts/demo-lvs.mjs); `npm run demo:lab` runs
// that one inside the VM lab on a machine whose kernel has no IPVS.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.join(here, '../bin/tskeepalived.js');
const CONF = path.join(here, '../conf/demo-directors.conf');
const VIP = '192.0.2.100';
const tag = String(process.pid % 10000);
const NS = { sw: `demosw${tag}`, c: `democ${tag}`, d1: `demod1${tag}`, d2: `demod2${tag}` };
const ADDR = { c: '192.0.2.50', d1: '192.0.2.1', d2: '192.0.2.2' };
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-demo-'));
const children = [];

const say = (m) => console.log(`\n== ${m}`);
function sh(...a) {
  const r = spawnSync(a[0], a.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${a.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function cleanup() {
  for (const c of children)
    try {
      c.kill('SIGKILL');
    } catch {
      /* gone */
    }
  for (const n of Object.values(NS)) {
    spawnSync('sh', ['-c', `ip netns pids ${n} 2>/dev/null | xargs -r kill -9`]);
    spawnSync('ip', ['netns', 'del', n]);
  }
  fs.rmSync(work, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

function holds(d) {
  return sh('ip', '-n', NS[d], '-4', '-o', 'addr', 'show', 'dev', 'eth0').includes(`${VIP}/`);
}
function showState() {
  for (const d of ['d1', 'd2']) {
    const a = sh('ip', '-n', NS[d], '-4', '-o', 'addr', 'show', 'dev', 'eth0')
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/)[3])
      .join(' ');
    console.log(`  ${d}: eth0 ${a}`);
  }
}
function curl() {
  const r = spawnSync(
    'ip',
    [
      'netns',
      'exec',
      NS.c,
      process.execPath,
      '-e',
      `require('http').get('http://${VIP}/', {timeout: 1500}, r => { let b=''; r.on('data', d => b += d); r.on('end', () => { console.log(b.trim()); process.exit(0); }); }).on('error', e => { console.log('error: ' + e.code); process.exit(1); });`,
    ],
    { encoding: 'utf8' },
  );
  return r.stdout.trim();
}
async function waitFor(cond, ms) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (cond()) return Date.now() - t0;
    await sleep(50);
  }
  throw new Error('timed out');
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error('the demo builds network namespaces: run it as root');
  say('building the lab: a switch, a client and two directors (network namespaces)');
  sh('ip', 'netns', 'add', NS.sw);
  sh('ip', '-n', NS.sw, 'link', 'add', 'br0', 'type', 'bridge');
  sh('ip', '-n', NS.sw, 'link', 'set', 'br0', 'up');
  for (const h of ['c', 'd1', 'd2']) {
    sh('ip', 'netns', 'add', NS[h]);
    sh('ip', 'link', 'add', `v${h}${tag}`, 'type', 'veth', 'peer', 'name', `p${h}${tag}`);
    sh('ip', 'link', 'set', `p${h}${tag}`, 'netns', NS.sw);
    sh('ip', '-n', NS.sw, 'link', 'set', `p${h}${tag}`, 'master', 'br0', 'up');
    sh('ip', 'link', 'set', `v${h}${tag}`, 'netns', NS[h]);
    sh('ip', '-n', NS[h], 'link', 'set', `v${h}${tag}`, 'name', 'eth0');
    sh('ip', '-n', NS[h], 'addr', 'add', `${ADDR[h]}/24`, 'dev', 'eth0');
    sh('ip', '-n', NS[h], 'link', 'set', 'eth0', 'up');
    sh('ip', '-n', NS[h], 'link', 'set', 'lo', 'up');
    console.log(`  ${h}: ${ADDR[h]}/24`);
  }

  say('starting a web server on each director (answers with its name on port 80)');
  for (const d of ['d1', 'd2']) {
    children.push(
      spawn(
        'ip',
        ['netns', 'exec', NS[d], process.execPath, '-e', `require('http').createServer((q, s) => s.end('served by ${d}\\n')).listen(80, '0.0.0.0')`],
        { stdio: 'ignore' },
      ),
    );
  }

  say(`starting tskeepalived on both directors with ${path.relative(process.cwd(), CONF)} (-i d1 / -i d2)`);
  const pids = {};
  for (const d of ['d1', 'd2']) {
    const log = fs.openSync(path.join(work, `${d}.log`), 'w');
    pids[d] = path.join(work, `${d}.pid`);
    children.push(
      spawn('ip', ['netns', 'exec', NS[d], process.execPath, BIN, '-n', '-l', '-i', d, '-f', CONF, '-p', pids[d]], { stdio: ['ignore', log, log] }),
    );
  }
  await waitFor(() => holds('d1'), 10000);
  await sleep(1500);
  showState();
  console.log(`  the VIP ${VIP} is on ${holds('d1') ? 'd1' : '?'}, d2 is BACKUP`);

  say(`the client requests http://${VIP}/ three times`);
  for (let i = 0; i < 3; i++) console.log(`  ${curl()}`);

  say('the MASTER director d1 dies: tskeepalived killed with SIGKILL and its network link cut, no goodbye');
  const killedAt = Date.now();
  process.kill(Number(fs.readFileSync(pids.d1, 'utf8')), 'SIGKILL');
  sh('ip', '-n', NS.d1, 'link', 'set', 'eth0', 'down');
  await waitFor(() => holds('d2'), 10000);
  const ms = Date.now() - killedAt;
  console.log(`  d2 took the VIP ${ms} ms after the kill (Master_Down_Interval = 3 x 1 s + (256-100)/256 s = 3.61 s after d1's last advert)`);
  showState();
  const neigh = sh('ip', '-n', NS.c, 'neigh', 'show', VIP).trim();
  console.log(`  the client's ARP entry for the VIP: ${neigh || '(none yet)'}`);

  say(`the client requests http://${VIP}/ three times again`);
  for (let i = 0; i < 3; i++) console.log(`  ${curl()}`);

  say('stopping d2 gracefully (SIGTERM: priority 0 advert, VIP removed)');
  process.kill(Number(fs.readFileSync(pids.d2, 'utf8')), 'SIGTERM');
  await waitFor(() => !fs.existsSync(pids.d2), 5000);
  showState();
}

function haveIpvs() {
  spawnSync('modprobe', ['-qa', 'ip_vs', 'ip_vs_rr', 'veth', 'bridge']);
  return fs.existsSync('/proc/net/ip_vs') && spawnSync('ipvsadm', ['-v']).status === 0;
}

if (haveIpvs()) {
  fs.rmSync(work, { recursive: true, force: true });
  const lvs = await import('./demo-lvs.mjs');
  process.on('SIGINT', () => {
    lvs.cleanup();
    process.exit(130);
  });
  if (process.getuid?.() !== 0) throw new Error('the demo builds network namespaces: run it as root');
  await lvs
    .lvsDemo()
    .then(() => {
      say('removing the lab');
      lvs.cleanup();
      console.log('  done');
    })
    .catch((e) => {
      console.error(`demo failed: ${e.message}`);
      lvs.lvsLogs();
      lvs.cleanup();
      process.exit(1);
    });
} else {
  console.log('This kernel has no IPVS (or ipvsadm is missing): showing the VRRP part of the lab. `npm run demo:lab` runs the full LVS lab inside the VM lab.');
  main()
    .then(() => {
      say('removing the lab');
      cleanup();
      console.log('  done');
    })
    .catch((e) => {
      console.error(`demo failed: ${e.message}`);
      for (const f of fs.existsSync(work) ? fs.readdirSync(work) : [])
        if (f.endsWith('.log')) console.error(`--- ${f}\n${fs.readFileSync(path.join(work, f), 'utf8').slice(-2000)}`);
      cleanup();
      process.exit(1);
    });
}
