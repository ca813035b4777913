#!/usr/bin/env node
/**
 * Memory benchmark: the resident memory of every process of a daemon running 1,000 virtual servers x 10
 * real servers (TCP_CHECK each, delay_loop 6, real servers that do not answer) and 10 VRRP instances, in a
 * network namespace of its own, after `--settle` seconds (default 40). Per process: RSS (what `ps` shows; the
 * Node binary's pages, shared by the three processes, are counted in each) and PSS (shared pages divided
 * among the processes that map them: the sum is what the daemon costs the machine).
 *
 * keepalived runs the same file when the kernel has IPVS (the VM lab: `node test/lab/vm.mjs -- node
 * bench/memory.mjs`); its checker process exits at start without IPVS, so on a host without it only
 * tskeepalived is measured. Root; prints a table, or one JSON object with --json.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { genConfig } from './gen-config.js';

const ROOT = path.resolve(new URL('..', import.meta.url).pathname);
const argv = process.argv.slice(2);
const SETTLE_S = argv.includes('--settle') ? Number(argv[argv.indexOf('--settle') + 1]) : 40;
const json = argv.includes('--json');
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-mem-'));
const sh = (/** @type {string} */ cmd) => execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));
const note = (/** @type {string} */ m) => console.error(`bench ${new Date().toISOString().slice(11, 19)} ${m}`);

/** @param {string} ifname */
function config(ifname) {
  let vrrp = '';
  for (let i = 0; i < 10; i++) {
    vrrp += `vrrp_instance VI_${i} {\n  state BACKUP\n  interface ${ifname}\n  virtual_router_id ${10 + i}\n  priority 100\n  advert_int 1\n  virtual_ipaddress {\n    198.51.100.${100 + i}/32\n  }\n}\n`;
  }
  return genConfig(1000, 10) + vrrp;
}

/** @param {number} pid */
function memOf(pid) {
  const t = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (/** @type {string} */ k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(t)?.[1] ?? 0);
  return { rss: kb('Rss') / 1024, pss: kb('Pss') / 1024 };
}

/**
 * @param {'tskeepalived' | 'keepalived'} kind
 * @returns {Promise<{ kind: string, parts: Array<{ name: string, rss: number, pss: number }> }>}
 */
async function measure(kind) {
  const ns = `tskmem${kind[0]}${process.pid % 10000}`;
  const ifname = `tskmem${kind[0]}0`;
  sh(`ip netns add ${ns} && ip link add ${ifname} type veth peer name ${ifname}p && ip link set ${ifname} netns ${ns}`);
  sh(`ip -n ${ns} addr add 192.0.2.1/24 dev ${ifname} && ip -n ${ns} link set ${ifname} up && ip -n ${ns} link set lo up`);
  const conf = path.join(WORK, `${kind}.conf`);
  fs.writeFileSync(conf, config(ifname));
  const pid = path.join(WORK, `${kind}.pid`);
  const files = { main: pid, vrrp: `${pid}.vrrp`, checkers: `${pid}.check` };
  const log = fs.openSync(path.join(WORK, `${kind}.log`), 'w');
  const cmd =
    kind === 'tskeepalived'
      ? [
          process.execPath,
          path.join(ROOT, 'bin/tskeepalived.js'),
          '-n',
          '-l',
          '-f',
          conf,
          '-p',
          pid,
          '-r',
          files.vrrp,
          '-c',
          files.checkers,
          '--status-socket',
          `${pid}.sock`,
        ]
      : ['keepalived', '-n', '-l', '-f', conf, '-p', pid, '-r', files.vrrp, '-c', files.checkers];
  const p = spawn('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['ignore', log, log] });
  try {
    note(`${kind}: running, measuring in ${SETTLE_S} s`);
    await sleep(SETTLE_S * 1000);
    const parts = Object.entries(files).map(([name, f]) => ({ name, ...memOf(Number(fs.readFileSync(f, 'utf8').trim())) }));
    return { kind, parts };
  } finally {
    p.kill('SIGTERM');
    await new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)));
    sh(`ip netns del ${ns}`);
  }
}

/** @type {Array<'tskeepalived' | 'keepalived'>} */
const kinds = fs.existsSync('/proc/net/ip_vs') ? ['tskeepalived', 'keepalived'] : ['tskeepalived'];
if (kinds.length === 1) note('no IPVS in this kernel: keepalived cannot run the file (its checker process exits); tskeepalived only');
const results = [];
for (const k of kinds) results.push(await measure(k));
fs.rmSync(WORK, { recursive: true, force: true });
if (json) console.log(JSON.stringify(results));
else {
  const f = (/** @type {number} */ n) => n.toFixed(1);
  console.log('| daemon | supervisor RSS / PSS | VRRP RSS / PSS | checkers RSS / PSS | sum RSS / PSS (MiB) |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of results) {
    const sum = r.parts.reduce((a, x) => ({ rss: a.rss + x.rss, pss: a.pss + x.pss }), { rss: 0, pss: 0 });
    console.log(`| ${r.kind} | ${r.parts.map((x) => `${f(x.rss)} / ${f(x.pss)}`).join(' | ')} | ${f(sum.rss)} / ${f(sum.pss)} |`);
  }
}
