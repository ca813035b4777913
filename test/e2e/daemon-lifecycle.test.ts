/**
 * The daemon's life as an operator sees it, from a real process in a network namespace: the background
 * start (no -n) that returns once started, the pid files (-p, -r, -c; a live one refuses a second start,
 * a stale one is replaced, all removed at stop), `tskeepalived status` over the status socket (table and
 * --json), SIGUSR1/SIGUSR2 dumps in keepalived's layout, the Prometheus endpoint scraped, human and JSON
 * log lines, and a signal arriving during start-up. Needs root and iproute2.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '../../bin/tskeepalived.js');
const root = process.getuid?.() === 0;
const canRun = root && spawnSync('ip', ['netns', 'add', `lcprobe${process.pid}`]).status === 0;
if (canRun) spawnSync('ip', ['netns', 'del', `lcprobe${process.pid}`]);
if (!canRun) console.log('daemon lifecycle tests skipped: they need root and iproute2 (ip netns)');

const tag = `${process.pid % 10000}`;
const NS = `lca${tag}`;
const IF = `lcv${tag}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-lifecycle-'));
const conf = path.join(dir, 'keepalived.conf');
const sock = path.join(dir, 'status.sock');
const pid = path.join(dir, 'ka.pid');
const PORT = 19650 + (process.pid % 300);

const inNs = (args: string[], timeout = 30_000) => spawnSync('ip', ['netns', 'exec', NS, process.execPath, BIN, ...args], { encoding: 'utf8', timeout });
/** Running, and not a zombie (an orphaned child waits for whoever is pid 1 here to reap it). */
const alive = (p: number) => {
  try {
    return !/^\S+ \(.*\) Z/.test(fs.readFileSync(`/proc/${p}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

async function waitFor<T>(get: () => T | undefined | false, ms: number, what: string): Promise<T> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    const v = get();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

function status(json: boolean) {
  return inNs(['status', '--status-socket', sock, ...(json ? ['--json'] : [])]);
}

describe.skipIf(!canRun)('the daemon: background start, pid files, status, dumps, metrics, logs', () => {
  beforeAll(() => {
    spawnSync('ip', ['netns', 'add', NS]);
    spawnSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    spawnSync('ip', ['-n', NS, 'link', 'add', IF, 'type', 'veth', 'peer', 'name', `${IF}p`]);
    spawnSync('ip', ['-n', NS, 'link', 'set', `${IF}p`, 'up']);
    spawnSync('ip', ['-n', NS, 'link', 'set', IF, 'up']);
    spawnSync('ip', ['-n', NS, 'addr', 'add', '192.0.2.1/24', 'dev', IF]);
    fs.writeFileSync(
      conf,
      `vrrp_instance VI_1 {\n  state MASTER\n  interface ${IF}\n  virtual_router_id 61\n  priority 150\n  advert_int 0.5\n  version 3\n  virtual_ipaddress {\n    192.0.2.61/24\n  }\n}\n`,
    );
  });
  afterAll(() => {
    spawnSync('sh', ['-c', `ip netns pids ${NS} | xargs -r kill -9`]);
    spawnSync('ip', ['netns', 'del', NS]);
    if (!process.env.KEEP_TEST_DIR) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts in the background, serves status, dumps and metrics, refuses a second start, and cleans up at stop', async () => {
    const t0 = Date.now();
    const r = inNs([
      '-f',
      conf,
      '-p',
      pid,
      '-r',
      `${pid}.vrrp`,
      '-c',
      `${pid}.check`,
      '--status-socket',
      sock,
      '--metrics-listen',
      `127.0.0.1:${PORT}`,
      '--dump-dir',
      dir,
    ]);
    expect(r.status, r.stderr).toBe(0);
    // The command returned once the background process had started: its pid files are there already.
    const daemonPid = Number(fs.readFileSync(pid, 'utf8'));
    console.log(`background start returned after ${Date.now() - t0} ms; daemon pid ${daemonPid}`);
    expect(alive(daemonPid)).toBe(true);
    // -r names the VRRP process, a child of the daemon; a VRRP-only file runs no checker process, so no -c file.
    const vrrpPid = Number(fs.readFileSync(`${pid}.vrrp`, 'utf8'));
    expect(vrrpPid).not.toBe(daemonPid);
    expect(Number(fs.readFileSync(`/proc/${vrrpPid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1])).toBe(daemonPid); // parent
    expect(fs.readFileSync(`/proc/${vrrpPid}/cmdline`, 'utf8')).toContain('tskeepalived-vrrp');
    expect(fs.existsSync(`${pid}.check`)).toBe(false);
    // Its own session: not the test's process group.
    const stat = fs.readFileSync(`/proc/${daemonPid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    expect(Number(stat[3])).toBe(daemonPid); // session id

    await waitFor(() => status(true).stdout.includes('"MASTER"'), 10_000, 'MASTER in status --json');
    const s = JSON.parse(status(true).stdout) as {
      pid: number;
      vrrp: Array<{ name: string; state: string; vips: string[] }>;
      processes: Array<{ role: string; pid: number }>;
    };
    expect(s.pid).toBe(daemonPid);
    expect(s.processes.map((p) => [p.role, p.pid])).toEqual([
      ['supervisor', daemonPid],
      ['vrrp', vrrpPid],
    ]);
    expect(s.vrrp[0]).toMatchObject({ name: 'VI_1', state: 'MASTER', vips: [`192.0.2.61/24 dev ${IF}`] });
    const table = status(false).stdout;
    expect(table).toMatch(/^VI_1\s+MASTER\s+150\s+61\s+v3\s+/m);

    // A second daemon on the same pid file refuses to start and leaves the first alone.
    const second = inNs(['-n', '-l', '-f', conf, '-p', pid, '--status-socket', 'none']);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(`another keepalived is running as pid ${daemonPid} (pid file ${pid}): not starting`);
    expect(fs.readFileSync(pid, 'utf8')).toBe(`${daemonPid}\n`);

    // SIGUSR1: data + JSON dumps; SIGUSR2: stats in keepalived's layout.
    process.kill(daemonPid, 'SIGUSR1');
    process.kill(daemonPid, 'SIGUSR2');
    const stats = await waitFor(
      () => fs.existsSync(path.join(dir, 'keepalived.stats')) && fs.readFileSync(path.join(dir, 'keepalived.stats'), 'utf8'),
      5000,
      'stats dump',
    );
    expect(stats).toMatch(/^VRRP Instance: VI_1\n {2}Advertisements:\n {4}Received: 0\n {4}Sent: [1-9]\d*\n {2}Became master: 1\n {2}Released master: 0\n/);
    const data = await waitFor(
      () => fs.existsSync(path.join(dir, 'keepalived.data')) && fs.readFileSync(path.join(dir, 'keepalived.data'), 'utf8'),
      5000,
      'data dump',
    );
    expect(data).toContain(' VRRP Instance = VI_1\n   VRRP Version = 3\n   State = MASTER\n');
    const json = JSON.parse(
      await waitFor(() => fs.existsSync(path.join(dir, 'keepalived.json')) && fs.readFileSync(path.join(dir, 'keepalived.json'), 'utf8'), 5000, 'JSON dump'),
    );
    expect(json.vrrp[0].state).toBe('MASTER');

    // Prometheus, scraped inside the namespace.
    const scrape = spawnSync('ip', ['netns', 'exec', NS, 'curl', '-sf', `http://127.0.0.1:${PORT}/metrics`], { encoding: 'utf8' });
    expect(scrape.status).toBe(0);
    expect(scrape.stdout).toContain(`tskeepalived_vrrp_state{instance="VI_1",vrid="61",interface="${IF}",state="MASTER"} 1`);
    expect(scrape.stdout).toContain(`tskeepalived_vrrp_state{instance="VI_1",vrid="61",interface="${IF}",state="BACKUP"} 0`);
    const sent = Number(/tskeepalived_vrrp_adverts_sent_total\{[^}]*\} (\d+)/.exec(scrape.stdout)?.[1]);
    expect(sent).toBeGreaterThan(0);
    expect(scrape.stdout).toContain('tskeepalived_reloads_total{outcome="applied"} 0');
    expect(scrape.stdout).toContain('# TYPE tskeepalived_vrrp_packets_dropped_total counter');
    // ?name[]= keeps only the families asked for (ours and the per-real-server ones).
    const some = spawnSync(
      'ip',
      ['netns', 'exec', NS, 'curl', '-sf', '-g', `http://127.0.0.1:${PORT}/metrics?name[]=tskeepalived_vrrp_state&name[]=tskeepalived_real_server_alive`],
      { encoding: 'utf8' },
    );
    expect(some.status).toBe(0);
    expect(some.stdout).toContain(`tskeepalived_vrrp_state{instance="VI_1",vrid="61",interface="${IF}",state="MASTER"} 1`);
    expect(some.stdout).toContain('# TYPE tskeepalived_real_server_alive gauge');
    expect(some.stdout).not.toContain('tskeepalived_vrrp_adverts_sent_total');
    expect(some.stdout).not.toContain('process_cpu');
    expect(some.stdout).not.toContain('tskeepalived_checker_up');
    // Liveness and readiness on the same listener.
    const get = (p: string) =>
      spawnSync('ip', ['netns', 'exec', NS, 'curl', '-s', '-o', '-', '-w', ' %{http_code}', `http://127.0.0.1:${PORT}${p}`], { encoding: 'utf8' }).stdout;
    expect(get('/healthz')).toBe('ok\n 200');
    expect(get('/readyz')).toBe('ready\n 200');

    // SIGHUP with an unchanged file: counted as applied, seen in the metrics.
    process.kill(daemonPid, 'SIGHUP');
    await waitFor(
      () =>
        spawnSync('ip', ['netns', 'exec', NS, 'curl', '-sf', `http://127.0.0.1:${PORT}/metrics`], { encoding: 'utf8' }).stdout.includes(
          'tskeepalived_reloads_total{outcome="applied"} 1',
        ),
      5000,
      'reload counted',
    );

    process.kill(daemonPid, 'SIGTERM');
    await waitFor(() => !alive(daemonPid) && !alive(vrrpPid), 5000, 'daemon exit');
    for (const f of [pid, `${pid}.vrrp`, `${pid}.check`, sock]) expect(fs.existsSync(f), f).toBe(false);
    expect(spawnSync('ip', ['-n', NS, '-o', 'addr', 'show', 'dev', IF], { encoding: 'utf8' }).stdout).not.toContain('192.0.2.61');
  });

  it('replaces a stale pid file, and logs human lines (keepalived wording, timestamped) or JSON', async () => {
    fs.writeFileSync(pid, '999999\n'); // no such process
    for (const format of ['human', 'json'] as const) {
      const log = path.join(dir, `${format}.log`);
      const fd = fs.openSync(log, 'w');
      const p = spawn(
        'ip',
        ['netns', 'exec', NS, process.execPath, BIN, '-n', '-l', '-f', conf, '-p', pid, '--status-socket', 'none', '--log-format', format],
        { stdio: ['ignore', fd, fd] },
      );
      await waitFor(() => fs.readFileSync(log, 'utf8').includes('Entering MASTER STATE'), 10_000, `${format}: MASTER`);
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
      const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
      const master = lines.find((l) => l.includes('Entering MASTER STATE'))!;
      if (format === 'human') {
        expect(lines.some((l) => l.endsWith(`replacing the stale pid file ${pid}`))).toBe(true);
        expect(master).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z tskeepalived_vrrp\[\d+\]: \(VI_1\) Entering MASTER STATE$/);
      } else {
        expect(JSON.parse(master)).toMatchObject({ level: 30, msg: '(VI_1) Entering MASTER STATE' });
        for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
      }
      expect(fs.existsSync(pid)).toBe(false);
    }
  });

  it('a SIGTERM during start-up stops the daemon cleanly once it is up (it is not killed half-started)', async () => {
    const log = path.join(dir, 'early.log');
    const fd = fs.openSync(log, 'w');
    const p = spawn('ip', ['netns', 'exec', NS, process.execPath, BIN, '-n', '-l', '-f', conf, '-p', pid, '--status-socket', 'none'], {
      stdio: ['ignore', fd, fd],
    });
    // The pid file is the first thing written, before the subsystems start.
    const daemonPid = await waitFor(() => fs.existsSync(pid) && Number(fs.readFileSync(pid, 'utf8')), 10_000, 'pid file');
    process.kill(daemonPid, 'SIGTERM');
    const code = await new Promise((r) => p.once('exit', r));
    expect(code).toBe(0);
    expect(fs.readFileSync(log, 'utf8')).toContain('Stopped tskeepalived');
    expect(fs.existsSync(pid)).toBe(false);
    expect(spawnSync('ip', ['-n', NS, '-o', 'addr', 'show', 'dev', IF], { encoding: 'utf8' }).stdout).not.toContain('192.0.2.61');
  });

  it('a VRRP process that dies is respawned (new -r pid, MASTER again); kill -9 of the supervisor stops its children gracefully', async () => {
    const log = path.join(dir, 'respawn.log');
    const fd = fs.openSync(log, 'w');
    const vpid = `${pid}.vrrp`;
    const p = spawn('ip', ['netns', 'exec', NS, process.execPath, BIN, '-n', '-l', '-f', conf, '-p', pid, '-r', vpid, '--status-socket', sock], {
      stdio: ['ignore', fd, fd],
    });
    const text = () => fs.readFileSync(log, 'utf8');
    await waitFor(() => text().includes('Entering MASTER STATE'), 10_000, 'MASTER');
    const daemonPid = Number(fs.readFileSync(pid, 'utf8'));
    const first = Number(fs.readFileSync(vpid, 'utf8'));
    process.kill(first, 'SIGKILL');
    await waitFor(() => text().includes(`VRRP child process(${first}) died: Respawning`), 5000, `respawn logged (${text()})`);
    await waitFor(() => text().split('Entering MASTER STATE').length === 3, 10_000, 'MASTER again');
    const second = Number(fs.readFileSync(vpid, 'utf8'));
    expect(second).not.toBe(first);
    expect(alive(second)).toBe(true);
    expect(text()).toContain(`VRRP child process(${first}) killed by SIGKILL`);
    const s = JSON.parse(status(true).stdout) as { processes: Array<{ role: string; pid: number }> };
    expect(s.processes.find((x) => x.role === 'vrrp')?.pid).toBe(second);

    // The supervisor killed outright: the VRRP process sees its channel close and stops as at SIGTERM
    // (priority 0, VIP removed), as keepalived's children do when their parent dies.
    process.kill(daemonPid, 'SIGKILL');
    await waitFor(() => !alive(second), 5000, 'VRRP process exit');
    expect(text()).toContain('the supervising process went away: stopping');
    expect(spawnSync('ip', ['-n', NS, '-o', 'addr', 'show', 'dev', IF], { encoding: 'utf8' }).stdout).not.toContain('192.0.2.61');
    await new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(undefined) : p.once('exit', r)));
    for (const f of [pid, vpid, sock]) fs.rmSync(f, { force: true });
  });

  it('-P runs only VRRP, -C only IPVS and checkers; -D adds per-check detail; -S, -G, -u, -R are honoured', async () => {
    const port = 18500 + (process.pid % 400); // nothing listens there: the checker fails
    const both = path.join(dir, 'both.conf');
    fs.writeFileSync(
      both,
      fs.readFileSync(conf, 'utf8') +
        `virtual_server 192.0.2.61 80 {\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  real_server 192.0.2.1 ${port} {\n    TCP_CHECK {\n      connect_timeout 1\n    }\n  }\n}\n`,
    );
    const run = async (flags: string[], name: string) => {
      const log = path.join(dir, `${name}.log`);
      const s = path.join(dir, `${name}.sock`);
      const p = spawn(
        'ip',
        ['netns', 'exec', NS, process.execPath, BIN, '-n', '-f', both, '-p', path.join(dir, `${name}.pid`), '--status-socket', s, ...flags],
        { stdio: ['ignore', fs.openSync(log, 'w'), fs.openSync(log, 'a')] },
      );
      await waitFor(() => inNs(['status', '--json', '--status-socket', s]).status === 0, 10_000, `${name}: status`);
      return { p, log, status: () => JSON.parse(inNs(['status', '--json', '--status-socket', s]).stdout) };
    };
    const stop = async (d: { p: ReturnType<typeof spawn> }) => {
      d.p.kill('SIGTERM');
      await new Promise((r) => d.p.once('exit', r));
    };

    const vrrpOnly = await run(['-l', '-P'], 'vrrp-only');
    await waitFor(() => vrrpOnly.status().vrrp[0]?.state === 'MASTER', 10_000, '-P: MASTER');
    expect(vrrpOnly.status().checkers).toBeUndefined();
    await new Promise((r) => setTimeout(r, 1500));
    expect(fs.readFileSync(vrrpOnly.log, 'utf8')).not.toContain('TCP connection to');
    await stop(vrrpOnly);

    const checkOnly = await run(['-l', '-C', '-D'], 'check-only');
    await waitFor(() => checkOnly.status().checkers?.realServers[0]?.alive === false, 10_000, '-C: the real server found down');
    expect(checkOnly.status().vrrp).toEqual([]);
    expect(spawnSync('ip', ['-n', NS, '-o', 'addr', 'show', 'dev', IF], { encoding: 'utf8' }).stdout).not.toContain('192.0.2.61');
    // -D: every check's result, not only the state changes.
    await waitFor(
      () => (fs.readFileSync(checkOnly.log, 'utf8').match(/debug: TCP_CHECK on 192\.0\.2\.1:\d+: TCP connection/g) ?? []).length >= 1,
      5000,
      '-D lines',
    );
    await stop(checkOnly);

    // -S with a bad facility is refused before anything starts; -G (console), -u and -R are accepted and act.
    const bad = inNs(['-n', '-S', '9', '-f', both]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("log facility '9' is not 0-7");
    const flags = await run(['-S', '3', '-G', '-R', '-u', '027', '-P'], 'flags');
    expect(fs.statSync(path.join(dir, 'flags.pid')).mode & 0o777).toBe(0o640);
    await waitFor(() => fs.readFileSync(flags.log, 'utf8').includes('Entering MASTER STATE'), 10_000, '-G: console log');
    // -R: the VRRP process killed, the daemon stops (releasing the VIP) instead of starting another.
    const vrrpPid = (flags.status() as { processes: Array<{ role: string; pid: number }> }).processes.find((x) => x.role === 'vrrp')!.pid;
    process.kill(vrrpPid, 'SIGKILL');
    const code = await new Promise((r) => (flags.p.exitCode !== null ? r(flags.p.exitCode) : flags.p.once('exit', r)));
    expect(code).toBe(0);
    expect(fs.readFileSync(flags.log, 'utf8')).toContain(`VRRP child process(${vrrpPid}) died: Exiting (--dont-respawn)`);
    expect(fs.readFileSync(flags.log, 'utf8')).not.toContain('Respawning');
  });

  it('a background start that fails says why on the terminal and returns the exit status', () => {
    const r = inNs(['-f', path.join(dir, 'missing.conf'), '-p', path.join(dir, 'never.pid'), '--status-socket', 'none']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`tskeepalived: fatal: cannot read configuration file ${path.join(dir, 'missing.conf')}`);
    expect(r.stderr).toContain('cannot be run - not starting');
    expect(fs.existsSync(path.join(dir, 'never.pid'))).toBe(false);
  });

  it('status without a daemon says so and exits 3; --signum names the signals tskeepalived acts on', () => {
    const r = inNs(['status', '--status-socket', path.join(dir, 'nobody.sock')]);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('no tskeepalived is running there');
    expect(inNs(['--signum=JSON']).stdout.trim()).toBe('10');
    expect(inNs(['--signum=STATS']).stdout.trim()).toBe('12');
    const c = inNs(['--signum=STATS_CLEAR']);
    expect(c.status).toBe(2);
    expect(c.stderr).toContain('real-time signals');
  });
});
