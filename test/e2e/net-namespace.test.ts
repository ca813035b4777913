/**
 * net_namespace and -s/--namespace: started from the root namespace, the daemon does its work in the
 * named one (the VIP appears there and only there), writes keepalived's namespaced default files under
 * /run/tskeepalived/NAME/, logs with the namespace in its ident, and refuses a namespace that does not
 * exist with a clear error. Needs root and iproute2; skips, saying so, otherwise.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '../../bin/tskeepalived.js');
const root = process.getuid?.() === 0;
const canRun = root && spawnSync('ip', ['netns', 'add', `nnprobe${process.pid}`]).status === 0;
if (canRun) spawnSync('ip', ['netns', 'del', `nnprobe${process.pid}`]);
if (!canRun) console.log('net_namespace tests skipped: they need root and iproute2 (ip netns)');

const tag = `${process.pid % 10000}`;
const NS = `tskns${tag}`;
const PEER = `tsknp${tag}`;
const IF = `nn${tag}`;
const VIP = '192.0.2.77';
const RUN = `/run/tskeepalived/${NS}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-netns-'));
/** Supervisors started here: they stay in the root namespace, so afterAll stops them by pid. */
const started: number[] = [];

const conf = (withNs: boolean) =>
  `${withNs ? `net_namespace ${NS}\n` : ''}vrrp_instance VI_1 {\n  state MASTER\n  interface ${IF}\n  virtual_router_id 77\n  priority 150\n  advert_int 0.5\n  version 3\n  virtual_ipaddress {\n    ${VIP}/24\n  }\n}\n`;

const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
const vipIn = (ns?: string) => spawnSync('ip', [...(ns ? ['-n', ns] : []), '-4', '-o', 'addr', 'show'], { encoding: 'utf8' }).stdout.includes(` ${VIP}/`);
const netnsOf = (pid: number) => fs.readlinkSync(`/proc/${pid}/ns/net`);
const alive = (pid: number) => {
  try {
    return !/^\S+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

describe.skipIf(!canRun)('net_namespace and -s', () => {
  beforeAll(() => {
    for (const n of [NS, PEER]) {
      spawnSync('ip', ['netns', 'add', n]);
      spawnSync('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
    }
    spawnSync('ip', ['link', 'add', IF, 'netns', NS, 'type', 'veth', 'peer', 'name', `${IF}p`, 'netns', PEER]);
    spawnSync('ip', ['-n', NS, 'addr', 'add', '192.0.2.1/24', 'dev', IF]);
    spawnSync('ip', ['-n', NS, 'link', 'set', IF, 'up']);
    spawnSync('ip', ['-n', PEER, 'link', 'set', `${IF}p`, 'up']);
  });
  afterAll(() => {
    for (const pid of started) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // stopped by its test
      }
    }
    for (const n of [NS, PEER]) {
      spawnSync('sh', ['-c', `ip netns pids ${n} | xargs -r kill -9`]);
      spawnSync('ip', ['netns', 'del', n]);
    }
    fs.rmSync(RUN, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('net_namespace in the file: started from the root namespace, the VIP appears only in the named one; files under /run/tskeepalived/NAME', async () => {
    const file = path.join(dir, 'ns.conf');
    fs.writeFileSync(file, conf(true));
    const log = path.join(dir, 'ns.log');
    // In the background, as an init script would start it; logs to a file through -l with stderr redirected.
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" -l -f "${file}" 2>"${log}"`], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, fs.readFileSync(log, 'utf8')).toBe(0);
    const pid = Number(fs.readFileSync(`${RUN}/tskeepalived.pid`, 'utf8'));
    started.push(pid);
    expect(alive(pid)).toBe(true);
    await waitFor(() => vipIn(NS), 10_000, 'VIP in the named namespace');
    expect(vipIn()).toBe(false);
    // The VRRP process works in the namespace; the supervisor stays where it was started.
    const vrrpPid = Number(fs.readFileSync(`${RUN}/vrrp.pid`, 'utf8'));
    expect(netnsOf(vrrpPid)).not.toBe(netnsOf(pid));
    expect(fs.statSync(`/proc/${vrrpPid}/ns/net`).ino).toBe(fs.statSync(`/run/netns/${NS}`).ino);
    const st = run(['status', '--json', '-s', NS]);
    expect(st.status, st.stderr).toBe(0);
    expect(JSON.parse(st.stdout).vrrp[0]).toMatchObject({ name: 'VI_1', state: 'MASTER' });
    process.kill(pid, 'SIGTERM');
    await waitFor(() => !alive(pid) && !alive(vrrpPid), 10_000, 'stopped');
    expect(vipIn(NS)).toBe(false);
    expect(fs.existsSync(`${RUN}/tskeepalived.pid`)).toBe(false);
    expect(fs.existsSync(`${RUN}/vrrp.pid`)).toBe(false);
    expect(fs.existsSync(RUN)).toBe(false);
  });

  it('-s NAME runs a file without net_namespace in NAME, with the namespace in the log ident', async () => {
    const file = path.join(dir, 'plain.conf');
    fs.writeFileSync(file, conf(false));
    const log = path.join(dir, 's.log');
    const p = spawn(process.execPath, [BIN, '-n', '-l', '-s', NS, '-f', file, '-p', path.join(dir, 's.pid')], {
      stdio: ['ignore', fs.openSync(log, 'w'), fs.openSync(log, 'a')],
    });
    started.push(p.pid!);
    await waitFor(() => vipIn(NS), 10_000, 'VIP in the namespace given by -s');
    expect(vipIn()).toBe(false);
    expect(fs.readFileSync(log, 'utf8')).toMatch(new RegExp(`tskeepalived_vrrp_${NS}\\[\\d+\\]: \\(VI_1\\) Entering MASTER STATE`));
    p.kill('SIGTERM');
    await new Promise((r) => p.once('exit', r));
    expect(vipIn(NS)).toBe(false);
  });

  it('a namespace that does not exist is refused with the reason, before anything starts', () => {
    const file = path.join(dir, 'plain.conf');
    const r = run(['-n', '-l', '-s', `nosuch${tag}`, '-f', file, '-p', path.join(dir, 'never.pid')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`network namespace nosuch${tag} does not exist (create it with: ip netns add nosuch${tag})`);
    expect(fs.existsSync(path.join(dir, 'never.pid'))).toBe(false);
  });
});
