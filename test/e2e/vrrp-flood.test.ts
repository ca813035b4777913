/**
 * Hostile adverts: a third host on the LAN floods 10,000 bad VRRPv2 adverts a second for the pair's VRID
 * (test/helpers/vrrp-flood.mjs: wrong password, TTL 64, bad checksum, truncated, version 3, type 2, wrong
 * address count, wrong interval, no authentication, random bytes; all with priority 254) while tskeepalived
 * and keepalived 2.2.7 run the VRID with auth_type PASS at advert_int 1, on a bridge in its own namespace.
 *
 * Run twice: tskeepalived MASTER (keepalived BACKUP), then tskeepalived BACKUP (a second tskeepalived
 * MASTER: keepalived as MASTER does not keep its advert timing under this flood, see below). Asserted:
 * no transition on our side, the VIP where it was, our BACKUP never takes over; our MASTER's adverts keep their
 * timing (largest gap
 * within 1.5 advert intervals, seen by dumpcap on the bridge); each kind of bad advert is counted under its
 * reason in tskeepalived_vrrp_packets_dropped_total; the -D log grows by a bounded number of lines (the
 * rate-limited drop lines). The CPU the flood costs the VRRP process is printed.
 * The flood takes most of a core: the file runs on its own after the rest of the host suite (npm run
 * test:flood, part of npm test), not next to timing-sensitive tests.
 * Needs root, iproute2, keepalived, curl and dumpcap/tshark; skips, saying so, otherwise.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh, sleep, waitFor } from '../helpers/netns.js';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/tskeepalived.js');
const FLOOD = path.join(ROOT, 'test/helpers/vrrp-flood.mjs');
const root = process.getuid?.() === 0;
const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const tools = ['ip', 'keepalived', 'curl', 'dumpcap', 'tshark'].every(have);
const canRun = root && tools && spawnSync('ip', ['netns', 'add', `tskflprobe${process.pid}`]).status === 0;
if (canRun) spawnSync('ip', ['netns', 'del', `tskflprobe${process.pid}`]);
if (!canRun) console.log('flood test skipped: it needs root, iproute2 (ip netns), keepalived, curl, dumpcap and tshark');

const tag = `${process.pid % 10000}`;
const NS = { a: `tskfla${tag}`, b: `tskflb${tag}`, c: `tskflc${tag}`, sw: `tskflsw${tag}` };
const IF = { a: `tfl${tag}a`, b: `tfl${tag}b`, c: `tfl${tag}c` };
const IP = { a: '192.0.2.1', b: '192.0.2.2', c: '192.0.2.3' };
const VIP = '192.0.2.100';
const RATE = 10_000;
const FLOOD_S = 8;
const METRICS = '127.0.0.1:9657';
const dir = fs.mkdtempSync('/run/tsk-flood-');
const procs: ChildProcess[] = [];

/** Each state change of `side`, one per line, written by its notify script. */
const notified = (side: 'a' | 'b') => path.join(dir, `notify-${side}`);

function conf(side: 'a' | 'b', priority: number): string {
  const f = path.join(dir, `${side}-${priority}.conf`);
  const script = path.join(dir, `notify-${side}.sh`);
  fs.writeFileSync(script, `#!/bin/sh\necho "$3" >> ${notified(side)}\n`, { mode: 0o755 });
  fs.writeFileSync(f, `global_defs {\n  script_user root\n  enable_script_security\n}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface ${IF[side]}\n  virtual_router_id 61\n  priority ${priority}\n  advert_int 1\n  notify ${script}\n  authentication {\n    auth_type PASS\n    auth_pass s3cret\n  }\n  virtual_ipaddress {\n    ${VIP}/24\n  }\n}\n`);
  return f;
}

function start(side: 'a' | 'b', priority: number, impl: 'tskeepalived' | 'keepalived' = side === 'a' ? 'tskeepalived' : 'keepalived'): { proc: ChildProcess; log: string } {
  const log = path.join(dir, `${side}-${priority}-${Date.now()}.log`);
  const out = fs.openSync(log, 'w');
  const pid = path.join(dir, `${side}.pid`);
  const cmd =
    impl === 'tskeepalived'
      ? [process.execPath, BIN, '-n', '-l', '-D', '-f', conf(side, priority), '-p', pid, '--status-socket', path.join(dir, `${side}.sock`), ...(side === 'a' ? ['--metrics-listen', METRICS] : [])]
      : // keepalived logs every bad advert: to syslog here (no -l), where nothing listens, so that writing
        // 10,000 lines a second does not take the CPU the test measures; its states come from its notify script.
        ['keepalived', '-n', '-f', conf(side, priority), '-p', pid, '-r', `${pid}.vrrp`, '-c', `${pid}.check`];
  const proc = spawn('ip', ['netns', 'exec', NS[side], ...cmd], { stdio: ['ignore', out, out] });
  procs.push(proc);
  return { proc, log };
}

const exited = (p: ChildProcess) => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('exit', r)));
const hasVip = (side: 'a' | 'b') => spawnSync('ip', ['-n', NS[side], '-4', '-o', 'addr', 'show', 'dev', IF[side]], { encoding: 'utf8' }).stdout.includes(`${VIP}/`);
const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');

/** The VRRP child's CPU time (utime + stime, clock ticks) from /proc. */
function vrrpCpuTicks(): number {
  const pids = spawnSync('ip', ['netns', 'pids', NS.a], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  for (const p of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (name !== 'tskeepalived-vr' && name !== 'tskeepalived-vrrp') continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(f[11]) + Number(f[12]);
    } catch {
      /* gone */
    }
  }
  throw new Error('no VRRP child process found');
}

/** tskeepalived_vrrp_packets_dropped_total by reason. */
function drops(): Record<string, number> {
  const r = spawnSync('ip', ['netns', 'exec', NS.a, 'curl', '-s', `http://${METRICS}/metrics`], { encoding: 'utf8' });
  const out: Record<string, number> = {};
  for (const m of r.stdout.matchAll(/^tskeepalived_vrrp_packets_dropped_total\{[^}]*reason="(\w+)"[^}]*\} (\d+)/gm)) out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2]);
  return out;
}

/** dumpcap on the bridge for the two routers' adverts only (the flood is not written). */
function capture(): { stop(): Promise<Array<{ t: number; src: string; prio: number }>> } {
  const file = path.join(dir, `cap-${Date.now()}.pcapng`);
  const p = spawn('ip', ['netns', 'exec', NS.sw, 'dumpcap', '-q', '-i', 'br0', '-f', `ip proto 112 and (src host ${IP.a} or src host ${IP.b})`, '-w', file], { stdio: 'ignore' });
  procs.push(p);
  return {
    async stop() {
      await sleep(300);
      p.kill('SIGINT');
      await exited(p);
      const r = spawnSync('tshark', ['-r', file, '-Y', 'vrrp', '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'ip.src', '-e', 'vrrp.prio'], { encoding: 'utf8' });
      return r.stdout.trim().split('\n').filter(Boolean).map((l) => {
        const [t, src, prio] = l.split('\t');
        return { t: Number(t), src: src!, prio: Number(prio) };
      });
    },
  };
}

function flood(): Promise<{ total: number; errors: number; seconds: number; sent: Record<string, number> }> {
  return new Promise((resolve, reject) => {
    const p = spawn('ip', ['netns', 'exec', NS.c, process.execPath, FLOOD, IF.c, IP.c, '61', 's3cret', String(RATE), String(FLOOD_S)], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(p);
    let out = '';
    let err = '';
    p.stdout!.on('data', (d) => (out += d));
    p.stderr!.on('data', (d) => (err += d));
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim())) : reject(new Error(`flooder exited ${code}: ${err}`))));
  });
}

async function stopAll(): Promise<void> {
  for (const p of procs.splice(0)) if (p.exitCode === null) p.kill('SIGTERM');
  await sleep(500);
  spawnSync('sh', ['-c', `for n in ${Object.values(NS).join(' ')}; do ip netns pids $n | xargs -r kill -9; done`]);
}

describe.skipIf(!canRun)('a flood of 10,000 bad adverts a second for the pair VRID', () => {
  beforeAll(() => {
    sh('ip', 'netns', 'add', NS.sw);
    sh('ip', '-n', NS.sw, 'link', 'add', 'br0', 'type', 'bridge');
    sh('ip', '-n', NS.sw, 'link', 'set', 'br0', 'up');
    for (const s of ['a', 'b', 'c'] as const) {
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

  for (const role of ['MASTER', 'BACKUP'] as const) {
    // Also printed: the other router's transitions and advert gaps.
    it(`tskeepalived ${role}: no transition, the VIP stays, adverts on time, drops counted by reason, the log bounded`, async () => {
      await stopAll();
      for (const s of ['a', 'b'] as const) {
        spawnSync('ip', ['-n', NS[s], 'addr', 'del', `${VIP}/24`, 'dev', IF[s]]);
        fs.rmSync(notified(s), { force: true });
      }
      const [pa, pb] = role === 'MASTER' ? [150, 100] : [50, 100];
      const holder = role === 'MASTER' ? 'a' : 'b';
      // Our BACKUP watches a tskeepalived MASTER: keepalived 2.2.7 as MASTER under this flood falls silent for
      // longer than Master_Down_Interval (measured: 4 adverts in 10 s, largest gap 3.9 s), which any BACKUP
      // must answer by taking over.
      const first = role === 'MASTER' ? start('a', pa) : start('b', pb, 'tskeepalived');
      await waitFor(() => hasVip(holder), 15_000, `${holder} MASTER`);
      const second = role === 'MASTER' ? start('b', pb) : start('a', pa);
      const ts = role === 'MASTER' ? first : second;
      await waitFor(() => read(ts.log).includes('(VI_1) Entering BACKUP STATE') || read(ts.log).includes('(VI_1) Entering MASTER STATE'), 15_000, 'tskeepalived running');
      await waitFor(() => read(notified('b')) !== '', 15_000, 'keepalived running');
      await sleep(2500);
      const before = { ts: read(ts.log), ka: read(notified('b')), drops: drops(), cpu: vrrpCpuTicks() };

      const cap = capture();
      await sleep(1000); // dumpcap running before the first bad advert
      const t0 = Date.now();
      const f = await flood();
      const floodMs = Date.now() - t0;
      await sleep(1500);
      const after = { ts: read(ts.log), ka: read(notified('b')), drops: drops(), cpu: vrrpCpuTicks() };
      const adverts = await cap.stop();
      const ours = adverts.filter((p) => p.src === IP.a);
      const theirs = adverts.filter((p) => p.src === IP.b);
      const gap = (xs: Array<{ t: number }>) => xs.reduce((m, p, i) => (i ? Math.max(m, (p.t - xs[i - 1]!.t) * 1000) : 0), 0);

      const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
      const cpuPct = (((after.cpu - before.cpu) / ticks) * 1000 * 100) / floodMs;
      const counted = Object.fromEntries(Object.keys(after.drops).map((r) => [r, after.drops[r]! - (before.drops[r] ?? 0)]).filter(([, n]) => (n as number) > 0));
      const newTs = after.ts.slice(before.ts.length);
      const newKa = after.ka.slice(before.ka.length);
      const droppedLines = newTs.split('\n').filter((l) => /dropped/.test(l));
      const largest = gap(ours);
      const kaTransitions = newKa.split('\n').filter(Boolean).length;
      console.log(`flood (tskeepalived ${role}): ${role === 'MASTER' ? 'keepalived' : 'the MASTER'} transitions ${kaTransitions}; ${f.total} bad adverts in ${f.seconds.toFixed(1)} s (${Math.round(f.total / f.seconds)}/s, ${f.errors} send errors); VRRP process CPU ${cpuPct.toFixed(0)} % of a core; largest advert gap: ours ${largest.toFixed(0)} ms (${ours.length} adverts), the other router's ${gap(theirs).toFixed(0)} ms (${theirs.length}); our transitions ${(newTs.match(/Entering \w+ STATE/g) ?? []).length}; drop lines logged ${droppedLines.length}; counted ${JSON.stringify(counted)}`);

      expect(f.total).toBeGreaterThan(RATE * FLOOD_S * 0.8);
      // No transition on our side; the VIP where it was at the end. keepalived 2.2.7 logs every bad advert and,
      // as a BACKUP, can miss our adverts under the flood and take over for a moment (its transitions are
      // printed, not asserted: the peer is not under test).
      expect(newTs).not.toMatch(/Entering (MASTER|BACKUP|FAULT) STATE/);
      if (role === 'BACKUP') expect(newKa).toBe('');
      expect(hasVip(holder)).toBe(true);
      expect(hasVip(holder === 'a' ? 'b' : 'a')).toBe(false);
      if (role === 'MASTER') {
        expect(ours.length).toBeGreaterThanOrEqual(FLOOD_S);
        expect(ours.every((p) => p.prio === 150)).toBe(true);
        expect(largest).toBeLessThanOrEqual(1500);
      } else {
        expect(ours).toEqual([]); // our BACKUP never advertised
        expect(gap(theirs)).toBeLessThanOrEqual(1500);
      }
      // Each kind dropped under its reason (a truncated advert fails its checksum first, a wrong address count
      // its length).
      for (const reason of ['authMismatch', 'ttl', 'checksum', 'version', 'type', 'length', 'advertInt', 'authType']) expect(counted[reason] ?? 0, reason).toBeGreaterThan(0);
      const total = Object.values(counted).reduce((a, b) => a + (b as number), 0);
      expect(total).toBeGreaterThanOrEqual(f.total * 0.95);
      // The log: one 10 s window at most opened during the flood, so 10 lines and a summary each.
      expect(droppedLines.length).toBeLessThanOrEqual(2 * 11);
    }, 90_000);
  }
});
