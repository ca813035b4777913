/**
 * Interoperation with FRRouting's vrrpd, a second independent VRRP implementation (RFC 5798, and RFC
 * 3768 without authentication, which FRR does not implement), between network namespaces: FRR in one
 * (zebra + vrrpd, its virtual router on a macvlan carrying the virtual MAC, as FRR requires), tskeepalived
 * in the other. Each side is MASTER once; the other must stay BACKUP while adverts flow and take over
 * when the MASTER dies (kill -9: Master_Down_Interval) or stops (priority 0: Skew_Time). Needs root,
 * iproute2 and the frr package; skips, saying so, otherwise.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '../../bin/tskeepalived.js');
const FRR = '/usr/lib/frr';
const root = process.getuid?.() === 0;
const haveFrr = fs.existsSync(`${FRR}/vrrpd`) && fs.existsSync(`${FRR}/zebra`) && spawnSync('id', ['frr']).status === 0;
const canRun = root && haveFrr && spawnSync('ip', ['netns', 'add', `frprobe${process.pid}`]).status === 0;
if (canRun) spawnSync('ip', ['netns', 'del', `frprobe${process.pid}`]);
if (!canRun) console.log('FRR interop tests skipped: they need root, iproute2 and the frr package (vrrpd)');

const tag = `${process.pid % 10000}`;
const NS = { frr: `frf${tag}`, ts: `frt${tag}` };
const IF = { frr: `frv${tag}`, ts: `frw${tag}` };
const VRID = 5;
const VIP = '192.0.2.100';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-frr-'));
const procs: ChildProcess[] = [];

function sh(...args: string[]): string {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (cond()) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

/** Starts zebra and vrrpd in the FRR namespace with one virtual router. */
function startFrr(priority: number, version: 2 | 3): void {
  fs.writeFileSync(path.join(dir, 'zebra.conf'), '\n');
  fs.writeFileSync(
    path.join(dir, 'vrrpd.conf'),
    `interface ${IF.frr}\n vrrp ${VRID} version ${version}\n vrrp ${VRID} priority ${priority}\n vrrp ${VRID} advertisement-interval 1000\n vrrp ${VRID} ip ${VIP}\n!\n`,
  );
  sh('chown', '-R', 'frr:frr', dir);
  const common = ['-z', path.join(dir, 'zserv.api'), '--vty_socket', dir, '-u', 'frr', '-g', 'frr'];
  sh(
    'ip',
    'netns',
    'exec',
    NS.frr,
    `${FRR}/zebra`,
    '-d',
    '-f',
    path.join(dir, 'zebra.conf'),
    '-i',
    path.join(dir, 'zebra.pid'),
    ...common,
    '--log',
    `file:${path.join(dir, 'zebra.log')}`,
  );
  sh(
    'ip',
    'netns',
    'exec',
    NS.frr,
    `${FRR}/vrrpd`,
    '-d',
    '-f',
    path.join(dir, 'vrrpd.conf'),
    '-i',
    path.join(dir, 'vrrpd.pid'),
    ...common,
    '--log',
    `file:${path.join(dir, 'vrrpd.log')}`,
  );
}

function frrStatus(): string {
  const r = spawnSync('ip', ['netns', 'exec', NS.frr, 'vtysh', '--vty_socket', dir, '-c', `show vrrp ${VRID} json`], { encoding: 'utf8' });
  try {
    return (JSON.parse(r.stdout) as Array<{ v4: { status: string } }>)[0]!.v4.status;
  } catch {
    return 'unreachable';
  }
}

function killFrr(sig: 'SIGKILL' | 'SIGTERM', which: Array<'vrrpd' | 'zebra'> = ['vrrpd', 'zebra']): void {
  for (const d of which) {
    try {
      process.kill(Number(fs.readFileSync(path.join(dir, `${d}.pid`), 'utf8')), sig);
    } catch {
      // not running
    }
  }
}

function startTs(priority: number, version: 2 | 3): { proc: ChildProcess; log: string } {
  const conf = path.join(dir, `ts-${priority}-${version}.conf`);
  fs.writeFileSync(
    conf,
    `vrrp_instance VI_1 {\n  state BACKUP\n  interface ${IF.ts}\n  virtual_router_id ${VRID}\n  priority ${priority}\n  advert_int 1\n  version ${version}\n  virtual_ipaddress {\n    ${VIP}/24\n  }\n}\n`,
  );
  const log = path.join(dir, `ts-${priority}-${version}.log`);
  const out = fs.openSync(log, 'w');
  const proc = spawn('ip', ['netns', 'exec', NS.ts, process.execPath, BIN, '-n', '-l', '-f', conf], { stdio: ['ignore', out, out] });
  procs.push(proc);
  return { proc, log };
}

const tsHasVip = () => sh('ip', '-n', NS.ts, '-4', '-o', 'addr', 'show', 'dev', IF.ts).includes(` ${VIP}/`);
const tsMasterLines = (log: string) =>
  fs
    .readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.includes('Entering MASTER STATE')).length;

describe.skipIf(!canRun)('interop with FRR vrrpd', () => {
  beforeAll(() => {
    sh('chmod', '755', dir);
    for (const n of Object.values(NS)) sh('ip', 'netns', 'add', n);
    sh('ip', 'link', 'add', IF.frr, 'type', 'veth', 'peer', 'name', IF.ts);
    sh('ip', 'link', 'set', IF.frr, 'netns', NS.frr);
    sh('ip', 'link', 'set', IF.ts, 'netns', NS.ts);
    sh('ip', '-n', NS.frr, 'addr', 'add', '192.0.2.1/24', 'dev', IF.frr);
    sh('ip', '-n', NS.ts, 'addr', 'add', '192.0.2.2/24', 'dev', IF.ts);
    for (const s of ['frr', 'ts'] as const) {
      sh('ip', '-n', NS[s], 'link', 'set', IF[s], 'up');
      sh('ip', '-n', NS[s], 'link', 'set', 'lo', 'up');
    }
    // FRR's virtual router lives on a macvlan with the virtual MAC 00:00:5e:00:01:VRID and the VIP.
    const mv = `vrrp4-${VRID}`;
    sh('ip', '-n', NS.frr, 'link', 'add', mv, 'link', IF.frr, 'type', 'macvlan', 'mode', 'bridge');
    sh('ip', '-n', NS.frr, 'link', 'set', 'dev', mv, 'address', `00:00:5e:00:01:0${VRID}`);
    sh('ip', '-n', NS.frr, 'addr', 'add', `${VIP}/24`, 'dev', mv);
    sh('ip', '-n', NS.frr, 'link', 'set', 'dev', mv, 'up');
  });
  afterEach(async () => {
    killFrr('SIGKILL');
    for (const p of procs.splice(0)) if (p.exitCode === null) p.kill('SIGKILL');
    spawnSync('sh', ['-c', `ip netns pids ${NS.ts} | xargs -r kill -9`]);
    await new Promise((r) => setTimeout(r, 300));
    spawnSync('ip', ['-n', NS.ts, 'addr', 'del', `${VIP}/24`, 'dev', IF.ts]);
  });
  afterAll(() => {
    for (const n of Object.values(NS)) spawnSync('ip', ['netns', 'del', n]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const version of [3, 2] as const) {
    it(`VRRPv${version}: FRR MASTER (200), tskeepalived stays BACKUP; kill -9 of vrrpd -> tskeepalived takes over within Master_Down_Interval`, async () => {
      startFrr(200, version);
      await waitFor(() => frrStatus() === 'Master', 10_000, 'FRR to become Master');
      const ts = startTs(100, version);
      // Longer than tskeepalived's Master_Down_Interval (3.609 s): it hears FRR and never claims the VIP.
      await new Promise((r) => setTimeout(r, 5000));
      expect(tsMasterLines(ts.log)).toBe(0);
      expect(tsHasVip()).toBe(false);
      expect(frrStatus()).toBe('Master');
      killFrr('SIGKILL', ['vrrpd']);
      const took = await waitFor(tsHasVip, 6000, 'tskeepalived to take the VIP');
      console.log(`v${version}: FRR killed -> tskeepalived MASTER after ${took} ms (bound 3609 + 1000 advert + slack)`);
      expect(took).toBeLessThan(3609 + 1000 + 300);
    }, 30_000);

    it(`VRRPv${version}: tskeepalived MASTER (200), FRR stays Backup; SIGTERM of tskeepalived (priority 0) -> FRR takes over within Skew_Time`, async () => {
      const ts = startTs(200, version);
      await waitFor(tsHasVip, 10_000, 'tskeepalived to become MASTER');
      startFrr(100, version);
      await waitFor(() => frrStatus() === 'Backup', 10_000, 'FRR to start as Backup');
      await new Promise((r) => setTimeout(r, 5000));
      expect(frrStatus()).toBe('Backup');
      expect(tsHasVip()).toBe(true);
      ts.proc.kill('SIGTERM');
      const took = await waitFor(() => frrStatus() === 'Master', 5000, 'FRR to become Master');
      console.log(`v${version}: tskeepalived stopped -> FRR Master after ${took} ms (Skew_Time 609 ms + polling vtysh)`);
      expect(took).toBeLessThan(2000);
      expect(tsHasVip()).toBe(false);
    }, 40_000);
  }
});
