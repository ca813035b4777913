// The LVS half of `npm run demo` (as root, on a kernel with IPVS — `npm run demo:lab` runs it inside the
// VM lab): the classic LVS-NAT lab in network namespaces. A client, two directors running tskeepalived
// from conf/demo-lvs.conf (VRRP sync group for the front VIP and the real servers' gateway, IPVS round
// robin, HTTP_GET checkers) and two real servers answering with their names. Shows the curl loop
// alternating rs1, rs2; kills rs1's web server and shows the checker removing it; kills the MASTER
// director and shows the BACKUP taking the VIPs and the traffic; removes everything it created.
// Traffic stays inside the namespaces; addresses are RFC 5737 documentation addresses.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.join(here, '../bin/tskeepalived.js');
const CONF = path.join(here, '../conf/demo-lvs.conf');
const VIP = '192.0.2.100';
const tag = String(process.pid % 10000);
const NS = { c: `lvc${tag}`, d1: `lvd1${tag}`, d2: `lvd2${tag}`, rs1: `lvr1${tag}`, rs2: `lvr2${tag}`, sw: `lvsw${tag}` };
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-demo-lvs-'));
const children = [];
const servers = {};

const say = (m) => console.log(`\n== ${m}`);
function sh(...a) {
  const r = spawnSync(a[0], a.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${a.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}
const ipn = (n, ...a) => sh('ip', '-n', NS[n], ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(cond, ms) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (cond()) return Date.now() - t0;
    await sleep(100);
  }
  throw new Error('timed out');
}

export function cleanup() {
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

/** A veth from namespace `n` (named `ifname` there) to the bridge `br` in the switch namespace. */
function plug(n, ifname, br, addr) {
  const a = `${n}${ifname}`.slice(0, 9) + tag;
  sh('ip', 'link', 'add', a, 'type', 'veth', 'peer', 'name', `p${a}`.slice(0, 15));
  sh('ip', 'link', 'set', `p${a}`.slice(0, 15), 'netns', NS.sw);
  sh('ip', '-n', NS.sw, 'link', 'set', `p${a}`.slice(0, 15), 'master', br, 'up');
  sh('ip', 'link', 'set', a, 'netns', NS[n]);
  ipn(n, 'link', 'set', a, 'name', ifname);
  ipn(n, 'addr', 'add', `${addr}/24`, 'dev', ifname);
  ipn(n, 'link', 'set', ifname, 'up');
}

function webServer(n) {
  const p = spawn('ip', ['netns', 'exec', NS[n], process.execPath, '-e', `require('http').createServer((q, s) => s.end('${n}\\n')).listen(80)`], {
    stdio: 'ignore',
  });
  children.push(p);
  servers[n] = p;
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
      `require('http').get('http://${VIP}/', {timeout: 2000}, r => { let b=''; r.on('data', d => b += d); r.on('end', () => { console.log(b.trim()); process.exit(0); }); }).on('error', e => { console.log('error: ' + e.code); process.exit(1); }).on('timeout', function () { console.log('error: timeout'); process.exit(1); });`,
    ],
    { encoding: 'utf8' },
  );
  return r.stdout.trim();
}
function curlLoop(n) {
  const got = [];
  for (let i = 0; i < n; i++) got.push(curl());
  console.log(`  ${got.join(', ')}`);
  return got;
}
const holds = (d) => ipn(d, '-4', '-o', 'addr', 'show', 'dev', 'eth0').includes(`${VIP}/`);
const table = (d) => spawnSync('ip', ['netns', 'exec', NS[d], 'ipvsadm', '-Ln'], { encoding: 'utf8' }).stdout;
const showTable = (d) =>
  console.log(
    table(d)
      .trim()
      .split('\n')
      .map((l) => `  ${d}| ${l}`)
      .join('\n'),
  );

export async function lvsDemo() {
  say('building the LVS-NAT lab: client -- front 192.0.2.0/24 -- d1, d2 -- back 198.51.100.0/24 -- rs1, rs2');
  sh('ip', 'netns', 'add', NS.sw);
  for (const br of ['front', 'back']) {
    ipn('sw', 'link', 'add', br, 'type', 'bridge');
    ipn('sw', 'link', 'set', br, 'up');
  }
  for (const n of ['c', 'd1', 'd2', 'rs1', 'rs2']) {
    sh('ip', 'netns', 'add', NS[n]);
    ipn(n, 'link', 'set', 'lo', 'up');
  }
  plug('c', 'eth0', 'front', '192.0.2.10');
  plug('d1', 'eth0', 'front', '192.0.2.2');
  plug('d2', 'eth0', 'front', '192.0.2.3');
  plug('d1', 'eth1', 'back', '198.51.100.2');
  plug('d2', 'eth1', 'back', '198.51.100.3');
  plug('rs1', 'eth0', 'back', '198.51.100.11');
  plug('rs2', 'eth0', 'back', '198.51.100.12');
  for (const d of ['d1', 'd2']) sh('ip', 'netns', 'exec', NS[d], 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  for (const r of ['rs1', 'rs2']) ipn(r, 'route', 'add', 'default', 'via', '198.51.100.1');
  webServer('rs1');
  webServer('rs2');

  say(`starting tskeepalived on both directors with ${path.relative(process.cwd(), CONF)} (-i d1 / -i d2)`);
  const pids = {};
  for (const d of ['d1', 'd2']) {
    const log = fs.openSync(path.join(work, `${d}.log`), 'w');
    pids[d] = path.join(work, `${d}.pid`);
    children.push(
      spawn('ip', ['netns', 'exec', NS[d], process.execPath, BIN, '-n', '-l', '-i', d, '-f', CONF, '-p', pids[d]], { stdio: ['ignore', log, log] }),
    );
  }
  await waitFor(() => holds('d1') && /198\.51\.100\.12:80/.test(table('d1')) && /198\.51\.100\.11:80/.test(table('d1')), 60000);
  showTable('d1');

  say(`the client requests http://${VIP}/ ten times (round robin)`);
  curlLoop(10);

  say('rs1 dies: its web server is killed; the HTTP_GET checker removes it from IPVS');
  servers.rs1.kill('SIGKILL');
  const gone = await waitFor(() => !/198\.51\.100\.11:80/.test(table('d1')), 30000);
  console.log(`  rs1 left the IPVS table ${gone} ms later (delay_loop 2 s + retry 1 x delay_before_retry 1 s + connect_timeout 1 s)`);
  showTable('d1');
  curlLoop(4);

  say('rs1 comes back');
  webServer('rs1');
  const back = await waitFor(() => /198\.51\.100\.11:80/.test(table('d1')), 30000);
  console.log(`  rs1 is back in the table ${back} ms later`);
  curlLoop(4);

  say('the MASTER director d1 dies: its links are cut and tskeepalived is killed with SIGKILL');
  const killedAt = Date.now();
  ipn('d1', 'link', 'set', 'eth0', 'down');
  ipn('d1', 'link', 'set', 'eth1', 'down');
  process.kill(Number(fs.readFileSync(pids.d1, 'utf8')), 'SIGKILL');
  await waitFor(() => holds('d2'), 20000);
  console.log(`  d2 holds both VIPs ${Date.now() - killedAt} ms later (both sync-group members' Master_Down_Interval, 3.6 s after d1's last advert)`);
  showTable('d2');
  say(`the client requests http://${VIP}/ ten times through d2`);
  curlLoop(10);

  say('stopping d2 gracefully (SIGTERM: priority 0 adverts, VIPs and IPVS entries removed)');
  process.kill(Number(fs.readFileSync(pids.d2, 'utf8')), 'SIGTERM');
  await waitFor(() => !fs.existsSync(pids.d2), 10000);
  const left = /^(TCP|UDP|SCTP|FWM)\s/m.test(table('d2')); // the header has an '->' of its own
  console.log(`  d2's IPVS table is now ${left ? 'not empty!' : 'empty'}`);
  if (left) {
    showTable('d2');
    lvsLogs();
  }
}

export function lvsLogs() {
  for (const f of fs.existsSync(work) ? fs.readdirSync(work) : [])
    if (f.endsWith('.log')) console.error(`--- ${f}\n${fs.readFileSync(path.join(work, f), 'utf8').slice(-3000)}`);
}
