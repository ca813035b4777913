/**
 * The packages, built and installed as an operator would (npm run test:package; `npm test` runs it):
 *
 * - scripts/package.mjs builds the .deb and .rpm twice from this commit, in different scratch directories:
 *   the files must be byte-identical (reproducible builds); a third build with a higher version is the
 *   upgrade;
 * - lintian reports no error and no warning (packaging/deb/lintian-overrides), rpmlint no error
 *   (packaging/rpm/rpmlint.toml);
 * - a clean Debian 12 root (mmdebstrap --variant=apt, from this machine's Debian apt sources) gets
 *   `apt-get install ./tskeepalived_*.deb` and nothing else; in it: --version, -t, the daemon taking a VIP
 *   as VRRP MASTER in a network namespace (its pid is the one started: /usr/sbin/tskeepalived exec's the
 *   runtime), started as the unit's ExecStart says by a stand-in for systemd, with keepalived 2.2.7 as BACKUP
 *   in a second namespace; an upgrade to a newer build keeps an edited /etc/default/tskeepalived and hands
 *   the running MASTER over to the new program: keepalived never leaves BACKUP, no priority 0 advert goes out,
 *   the VIP never leaves (dumpcap and `ip monitor address` watch); `dpkg --purge` leaves nothing;
 * - the .rpm installed with rpm into a second clean root runs --version and -t; its scripts, requirements,
 *   configuration files and file list are checked with `rpm -qp`.
 *
 * Needs root, dpkg-deb, rpmbuild, lintian, rpmlint, mmdebstrap, keepalived, dumpcap/tshark and a reachable Debian mirror: without them it
 * skips, saying why, unless TSK_PACKAGE_TEST=require (CI's .ci/run), where it fails.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const UPGRADE = `${VERSION}+upgrade1`;
const ARCH = { deb: 'amd64', rpm: 'x86_64' };
const DEB = `tskeepalived_${VERSION}-1_${ARCH.deb}.deb`;
const RPM = `tskeepalived-${VERSION}-1.${ARCH.rpm}.rpm`;
const REQUIRE = process.env.TSK_PACKAGE_TEST === 'require';
const NS = `tskpkg${process.pid}`;
/** The BACKUP's namespace: keepalived 2.2.7 (this machine's) on the veth's other end. */
const NS2 = `tskpkgb${process.pid}`;
const VIP = '192.0.2.100';
/** Master_Down_Interval of the priority 100 BACKUP at advert_int 1: 3 x 1 s + (256 - 100) / 256 s. */
const MASTER_DOWN_MS = 3609;

const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = [
  ...(process.getuid?.() === 0 ? [] : ['root']),
  ...['dpkg-deb', 'rpmbuild', 'rpm', 'lintian', 'rpmlint', 'mmdebstrap', 'unshare', 'ip', 'keepalived', 'dumpcap', 'tshark'].filter((c) => !have(c)),
];
const why = missing.length ? `needs ${missing.join(', ')}` : '';
if (why && REQUIRE) throw new Error(`package test: ${why} (TSK_PACKAGE_TEST=require)`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-pkg-test-'));
const debRoot = path.join(tmp, 'debian');
const rpmRoot = path.join(tmp, 'rpm');

interface Ran {
  code: number | null;
  out: string;
  secs: number;
}
/** Runs a command without blocking the event loop (several run at once); output combined. */
function run(cmd: string, args: string[], opts: { timeoutS?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Ran> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), (opts.timeoutS ?? 600) * 1000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, secs: (Date.now() - t0) / 1000 });
    });
  });
}

/**
 * A shell command inside a root, as root would run it there: its own mount namespace with /proc, /sys,
 * /dev and the root's /run (a directory next to the root, bound over it, so that a daemon started by one
 * command is found by the next through its pid file and status socket, as on a booted machine),
 * optionally in the network namespace NS.
 */
function chrootArgs(root: string, command: string, netns = false): [string, string[]] {
  fs.mkdirSync(`${root}-run`, { recursive: true });
  const inner = `set -e; mount -t proc proc '${root}/proc'; mount -t sysfs sysfs '${root}/sys'; mount --rbind /dev '${root}/dev'; mount --bind '${root}-run' '${root}/run'
exec chroot '${root}' /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive /bin/sh -c "$0"`;
  const args = ['-m', '--propagation', 'private', 'sh', '-c', inner, command];
  return netns ? ['ip', ['netns', 'exec', NS, 'unshare', ...args]] : ['unshare', args];
}
const inRoot = (root: string, command: string, opts: { netns?: boolean; timeoutS?: number } = {}) => {
  const [cmd, args] = chrootArgs(root, command, opts.netns);
  return run(cmd, args, { timeoutS: opts.timeoutS ?? 300 });
};

/** The network namespaces: NS with v0 (192.0.2.1/24), NS2 with its veth peer v1 (192.0.2.2/24); made once. */
function makeNs(): void {
  if (spawnSync('ip', ['-n', NS, 'link', 'show', 'v0']).status === 0) return;
  for (const cmd of [
    ['netns', 'add', NS],
    ['netns', 'add', NS2],
    ['-n', NS, 'link', 'set', 'lo', 'up'],
    ['-n', NS2, 'link', 'set', 'lo', 'up'],
    ['-n', NS, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1', 'netns', NS2],
    ['-n', NS, 'link', 'set', 'v0', 'up'],
    ['-n', NS2, 'link', 'set', 'v1', 'up'],
    ['-n', NS, 'addr', 'add', '192.0.2.1/24', 'dev', 'v0'],
    ['-n', NS2, 'addr', 'add', '192.0.2.2/24', 'dev', 'v1'],
  ]) {
    const r = spawnSync('ip', cmd, { encoding: 'utf8' });
    expect(r.status, `ip ${cmd.join(' ')}: ${r.stderr}`).toBe(0);
  }
}

/**
 * Maintainer scripts see systemd: /run/systemd/system exists and systemctl / deb-systemd-invoke are
 * stand-ins in /usr/sbin (first in the PATH apt gives dpkg, ahead of init-system-helpers' /usr/bin one)
 * that log their arguments to /var/log/stub-calls. For tskeepalived.service they act as systemd would on the
 * installed unit: start runs its ExecStart (with /etc/default/tskeepalived's DAEMON_ARGS) in the background,
 * the daemon's output to /var/log/tskeepalived.log; stop sends SIGTERM to the pid in /run/tskeepalived.pid
 * and waits for it to go; restart is both; is-active says whether that pid lives. Anything else succeeds.
 * The command then runs; the log is returned and emptied.
 */
const STUB = `#!/bin/sh
echo "$(basename "$0") $*" >> /var/log/stub-calls
pidf=/run/tskeepalived.pid
running() { [ -s $pidf ] && kill -0 "$(cat $pidf)" 2>/dev/null; }
stop() { if running; then p=$(cat $pidf); kill -TERM "$p"; while kill -0 "$p" 2>/dev/null; do sleep 0.1; done; fi; }
start() {
  running && return 0
  DAEMON_ARGS=; . /etc/default/tskeepalived
  cmd=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/tskeepalived.service)
  ( exec </dev/null >>/var/log/tskeepalived.log 2>&1; eval "exec setsid $cmd" ) &
}
case "$*" in
  *is-active*tskeepalived.service) running; exit $? ;;
  *restart*tskeepalived.service) stop; start ;;
  *start*tskeepalived.service) start ;;
  *stop*tskeepalived.service) stop ;;
esac
exit 0
`;
async function withSystemd(root: string, command: string, opts: { timeoutS?: number; netns?: boolean } = {}): Promise<Ran & { calls: string[] }> {
  for (const c of ['systemctl', 'deb-systemd-invoke']) fs.writeFileSync(path.join(root, 'usr/sbin', c), STUB, { mode: 0o755 });
  const r = await inRoot(root, `mkdir -p /run/systemd/system && ${command}`, { timeoutS: opts.timeoutS ?? 300, netns: opts.netns ?? false });
  fs.rmSync(`${root}-run/systemd`, { recursive: true, force: true });
  const log = path.join(root, 'var/log/stub-calls');
  const calls = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  fs.rmSync(log, { force: true });
  for (const c of ['systemctl', 'deb-systemd-invoke']) fs.rmSync(path.join(root, 'usr/sbin', c));
  return { ...r, calls };
}

/** The daemon the stand-in started: its pid, when alive. */
function servicePid(root: string): number | undefined {
  const f = `${root}-run/tskeepalived.pid`;
  const pid = fs.existsSync(f) ? Number(fs.readFileSync(f, 'utf8').trim()) : NaN;
  if (!(pid > 0)) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

const timings: Record<string, number> = {};
let ready = false;
let lint: Promise<[Ran, Ran] | undefined> | undefined;
let skipWhy = why;

const CONF = `global_defs {
  router_id pkgtest
}
vrrp_instance VI_1 {
  state BACKUP
  interface v0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    ${VIP}/24
  }
}
`;

beforeAll(async () => {
  if (skipWhy) return;
  const build = (name: string, extra: string[] = []) =>
    run(process.execPath, [path.join(ROOT, 'scripts/package.mjs'), '--out', path.join(tmp, name), '--work', path.join(tmp, `work-${name}`), ...extra], {
      timeoutS: 900,
    });
  // The machine's own Debian sources (not third-party ones it may also have).
  const sources = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'].find(
    (f) => fs.existsSync(f) && /deb\.debian\.org|debian/.test(fs.readFileSync(f, 'utf8')),
  );
  const strap = run('mmdebstrap', ['--variant=apt', '--quiet', 'bookworm', debRoot, ...(sources ? [sources] : [])], { timeoutS: 900 });
  const buildA = build('a');
  // The linters start as soon as the first build is there, next to the other builds and mmdebstrap.
  lint = buildA.then((r) =>
    r.code !== 0
      ? undefined
      : Promise.all([
          run('lintian', ['--no-tag-display-limit', path.join(tmp, 'a', DEB)]),
          run('rpmlint', ['-c', path.join(ROOT, 'packaging/rpm/rpmlint.toml'), path.join(tmp, 'a', RPM)]),
        ]),
  );
  const [a, b, up, root] = await Promise.all([buildA, build('b'), build('up', ['--version', UPGRADE, '--only', 'deb']), strap]);
  for (const [name, r] of Object.entries({ a, b, up })) {
    timings[`build ${name}`] = r.secs;
    if (r.code !== 0) throw new Error(`package build ${name} failed:\n${r.out}`);
  }
  timings.mmdebstrap = root.secs;
  if (root.code !== 0) {
    if (/Could not resolve|Failed to fetch|Temporary failure|unable to connect|Network is unreachable/i.test(root.out) && !REQUIRE) {
      skipWhy = `mmdebstrap cannot reach a Debian mirror:\n${root.out.slice(-800)}`;
      return;
    }
    throw new Error(`mmdebstrap failed:\n${root.out}`);
  }
  // The second clean root, for the .rpm: a copy made before anything is installed in the first.
  expect((await run('cp', ['-a', debRoot, rpmRoot])).code).toBe(0);
  ready = true;
}, 1_800_000);

afterAll(async () => {
  spawnSync('sh', ['-c', `for n in ${NS} ${NS2}; do ip netns pids $n | xargs -r kill -9; ip netns del $n; done`]);
  // --one-file-system: never into a mount that outlived its namespace.
  spawnSync('rm', ['-rf', '--one-file-system', tmp]);
  if (Object.keys(timings).length)
    console.log(
      `package test timings (s): ${Object.entries(timings)
        .map(([k, v]) => `${k} ${v.toFixed(0)}`)
        .join(', ')}`,
    );
});

describe('packages', () => {
  it('are reproducible: two builds of one commit are byte-identical', (ctx) => {
    if (skipWhy) return ctx.skip(skipWhy);
    for (const f of [DEB, RPM]) expect(fs.readFileSync(path.join(tmp, 'a', f)).equals(fs.readFileSync(path.join(tmp, 'b', f))), f).toBe(true);
    expect(fs.existsSync(path.join(tmp, 'up', `tskeepalived_${UPGRADE}-1_${ARCH.deb}.deb`))).toBe(true);
  });

  it('pass lintian (no error, no warning) and rpmlint (no error)', async (ctx) => {
    if (skipWhy) return ctx.skip(skipWhy);
    const [l, r] = (await lint)!;
    timings.lintian = l.secs;
    timings.rpmlint = r.secs;
    expect(l.out.split('\n').filter((x) => /^[EW]: /.test(x))).toEqual([]);
    expect(l.code, l.out).toBe(0);
    expect(r.out).toMatch(/\b0 errors\b/);
  });

  it('deb: control data, conffile and scripts as a distribution writes them', async (ctx) => {
    if (skipWhy) return ctx.skip(skipWhy);
    const deb = path.join(tmp, 'a', DEB);
    const info = await run('dpkg-deb', ['-I', deb]);
    expect(info.out).toMatch(/Depends: libc6 \(>= 2\.28\)/);
    expect((await run('dpkg-deb', ['-f', deb, 'Version'])).out.trim()).toBe(`${VERSION}-1`);
    const ctl = path.join(tmp, 'ctl');
    expect((await run('dpkg-deb', ['-e', deb, ctl])).code).toBe(0);
    expect(fs.readFileSync(path.join(ctl, 'conffiles'), 'utf8')).toBe('/etc/default/tskeepalived\n');
    const postinst = fs.readFileSync(path.join(ctl, 'postinst'), 'utf8');
    const prerm = fs.readFileSync(path.join(ctl, 'prerm'), 'utf8');
    // Start only on upgrade ($2 = the old version) and only when running; handover, else restart.
    expect(postinst).toMatch(/\[ -n "\$2" \]/);
    expect(postinst).toMatch(/is-active/);
    expect(postinst).toMatch(/tskeepalived --handover/);
    expect(postinst).toMatch(/deb-systemd-invoke restart/);
    expect(postinst).not.toMatch(/deb-systemd-helper enable/);
    expect(prerm).toMatch(/"\$1" = "remove"/);
    // The man page names every option of src/cli/options.ts and every signal.
    const x = path.join(tmp, 'x');
    expect((await run('dpkg-deb', ['-x', deb, x])).code).toBe(0);
    const man = zlib.gunzipSync(fs.readFileSync(path.join(x, 'usr/share/man/man8/tskeepalived.8.gz'))).toString();
    const { OPTIONS } = (await import(path.join(ROOT, 'dist/cli/options.js'))) as { OPTIONS: Array<{ long: string; short?: string }> };
    for (const o of OPTIONS) expect(man, o.long).toContain(`\\fB\\-\\-${o.long.replace(/-/g, '\\-')}\\fR`);
    for (const sig of ['SIGHUP', 'SIGTERM', 'SIGINT', 'SIGUSR1', 'SIGUSR2']) expect(man).toContain(sig);
    const list = (await run('dpkg-deb', ['-c', deb])).out.split('\n').filter(Boolean);
    expect(list.every((l) => l.includes(' root/root '))).toBe(true);
    for (const f of [
      './usr/sbin/tskeepalived',
      './lib/systemd/system/tskeepalived.service',
      './usr/share/man/man8/tskeepalived.8.gz',
      './usr/lib/tskeepalived/node/bin/node',
      './usr/share/doc/tskeepalived/examples/vrrp-pair.conf',
    ]) {
      expect(
        list.some((l) => l.endsWith(` ${f}`)),
        f,
      ).toBe(true);
    }
  });

  it('deb: installs into a clean Debian 12 root with apt-get, runs there, upgrades, purges to nothing', async (ctx) => {
    if (!ready) return ctx.skip(skipWhy || 'no root');
    fs.copyFileSync(path.join(tmp, 'a', DEB), path.join(debRoot, 'tmp', DEB));
    fs.copyFileSync(path.join(tmp, 'up', `tskeepalived_${UPGRADE}-1_${ARCH.deb}.deb`), path.join(debRoot, 'tmp', `tskeepalived_${UPGRADE}-1_${ARCH.deb}.deb`));
    const install = await withSystemd(debRoot, `apt-get update -qq && apt-get install -y -qq /tmp/${DEB}`, { timeoutS: 600 });
    timings['apt-get install'] = install.secs;
    expect(install.code, install.out).toBe(0);
    // A fresh install starts (and enables) nothing.
    expect(install.calls.filter((c) => /\b(start|restart|enable)\b/.test(c))).toEqual([]);

    const ver = await inRoot(debRoot, 'tskeepalived --version');
    expect(ver.out).toContain(`tskeepalived v${VERSION}`);
    expect(ver.code).toBe(0);
    expect(fs.readFileSync(path.join(debRoot, 'usr/sbin/tskeepalived'), 'utf8')).toMatch(/^exec \/usr\/lib\/tskeepalived\/node\/bin\/node /m);
    expect((await inRoot(debRoot, 'man -w tskeepalived 2>/dev/null || test -f /usr/share/man/man8/tskeepalived.8.gz')).code).toBe(0);

    // The daemon: a VRRP instance alone on a link in a network namespace becomes MASTER and adds the VIP.
    makeNs();
    fs.mkdirSync(path.join(debRoot, 'etc/keepalived'), { recursive: true });
    fs.writeFileSync(path.join(debRoot, 'etc/keepalived/keepalived.conf'), CONF);
    const test = await inRoot(debRoot, 'tskeepalived -t -f /etc/keepalived/keepalived.conf', { netns: true });
    expect(test.code, test.out).toBe(0);
    const bad = await inRoot(debRoot, 'printf "vrrp_instance X {\\n  virtual_router_id 300\\n}\\n" > /tmp/bad.conf; tskeepalived -t -f /tmp/bad.conf', {
      netns: true,
    });
    expect(bad.code, bad.out).not.toBe(0);

    // The service, started as systemd would start the unit, is MASTER (priority 150) over keepalived 2.2.7
    // (priority 100, BACKUP) in the other namespace.
    fs.writeFileSync(path.join(debRoot, 'etc/keepalived/keepalived.conf'), CONF.replace('priority 100', 'priority 150'));
    const kaConf = path.join(tmp, 'ka.conf');
    const kaLog = path.join(tmp, 'ka.log');
    fs.writeFileSync(kaConf, CONF.replace('interface v0', 'interface v1').replace('router_id pkgtest', 'router_id pkgpeer'));
    let ka: ChildProcess | undefined;
    const daemonLog = path.join(debRoot, 'var/log/tskeepalived.log');
    const conf = path.join(debRoot, 'etc/default/tskeepalived');
    const hasVip = (ns = NS, dev = 'v0') =>
      spawnSync('ip', ['-n', ns, '-4', '-o', 'addr', 'show', 'dev', dev], { encoding: 'utf8' }).stdout.includes(`${VIP}/24`);
    const waitFor = async (cond: () => boolean, ms: number, what: string) => {
      const t0 = Date.now();
      while (!cond()) {
        if (Date.now() - t0 > ms)
          throw new Error(`${what}: not within ${ms} ms\n${fs.existsSync(daemonLog) ? fs.readFileSync(daemonLog, 'utf8').slice(-3000) : ''}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return (Date.now() - t0) / 1000;
    };
    try {
      const started = await withSystemd(debRoot, 'deb-systemd-invoke start tskeepalived.service', { netns: true });
      expect(started.code, started.out).toBe(0);
      timings['to MASTER'] = await waitFor(() => hasVip(), 30_000, 'the service takes the VIP');
      expect(fs.readFileSync(daemonLog, 'utf8')).toMatch(/\(VI_1\) Entering MASTER STATE/);
      ka = spawn(
        'ip',
        ['netns', 'exec', NS2, 'keepalived', '-n', '-l', '-D', '-f', kaConf, '-p', `${tmp}/ka.pid`, '-r', `${tmp}/ka.vrrp.pid`, '-c', `${tmp}/ka.check.pid`],
        { stdio: ['ignore', fs.openSync(kaLog, 'w'), fs.openSync(kaLog, 'a')] },
      );
      await waitFor(() => fs.readFileSync(kaLog, 'utf8').includes('Entering BACKUP STATE'), 15_000, 'keepalived BACKUP');
      // exec all the way down: the process the unit started is the daemon, running the bundled runtime.
      const oldPid = servicePid(debRoot)!;
      expect(oldPid).toBeGreaterThan(0);
      const cmdline = fs.readFileSync(`/proc/${oldPid}/cmdline`, 'utf8').split('\0');
      expect(cmdline.slice(0, 2)).toEqual(['/usr/lib/tskeepalived/node/bin/node', '/usr/lib/tskeepalived/bin/tskeepalived.js']);

      // Upgrade, the MASTER running and keepalived watching. The edited configuration file stays (dpkg's
      // conffile handling, no prompt: unchanged upstream).
      fs.writeFileSync(conf, fs.readFileSync(conf, 'utf8').replace(/^DAEMON_ARGS=.*$/m, 'DAEMON_ARGS="-D --log-format json"'));
      const capFile = path.join(tmp, 'upgrade.pcapng');
      const cap = spawn('ip', ['netns', 'exec', NS2, 'dumpcap', '-q', '-i', 'v1', '-f', 'ip proto 112', '-w', capFile], { stdio: 'ignore' });
      const monFile = path.join(tmp, 'mon.txt');
      const mon = spawn('ip', ['-n', NS, 'monitor', 'address'], { stdio: ['ignore', fs.openSync(monFile, 'w'), 'ignore'] });
      await new Promise((r) => setTimeout(r, 2500));
      const up = await withSystemd(debRoot, `apt-get install -y -qq /tmp/tskeepalived_${UPGRADE}-1_${ARCH.deb}.deb`, { netns: true });
      timings['upgrade'] = up.secs;
      expect(up.code, up.out).toBe(0);
      // The running service is not stopped before the unpack; the new program asks it for a handover and
      // starts the service again.
      expect(up.calls).not.toContain('deb-systemd-invoke stop tskeepalived.service');
      expect(up.calls).toContain('systemctl --quiet is-active tskeepalived.service');
      expect(up.calls, up.out).toContain('deb-systemd-invoke start tskeepalived.service');
      expect(up.calls).not.toContain('deb-systemd-invoke restart tskeepalived.service');
      expect((await inRoot(debRoot, 'tskeepalived --version')).out).toContain(`tskeepalived v${UPGRADE}`);
      expect(fs.readFileSync(conf, 'utf8')).toMatch(/^DAEMON_ARGS="-D --log-format json"$/m);
      await waitFor(
        () => fs.readFileSync(daemonLog, 'utf8').includes('(VI_1) carried on in MASTER STATE from the handover'),
        15_000,
        'the new daemon carries on as MASTER',
      );
      const newPid = servicePid(debRoot);
      expect(newPid).toBeDefined();
      expect(newPid).not.toBe(oldPid);
      const log = fs.readFileSync(daemonLog, 'utf8');
      expect(log).toContain('handover requested: stopping without releasing anything');
      expect(log).toContain(`tskeepalived ${VERSION}`); // the state file's writer, named by the new daemon
      // Longer than the BACKUP's Master_Down_Interval after the upgrade.
      await new Promise((r) => setTimeout(r, MASTER_DOWN_MS + 1500));
      mon.kill('SIGTERM');
      cap.kill('SIGINT');
      await Promise.all([mon, cap].map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))));
      const adverts = spawnSync('tshark', ['-r', capFile, '-Y', 'vrrp', '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'ip.src', '-e', 'vrrp.prio'], {
        encoding: 'utf8',
      })
        .stdout.trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t'))
        .map(([t, src, prio]) => ({ t: Number(t), src, prio: Number(prio) }));
      const ours = adverts.filter((a) => a.src === '192.0.2.1');
      let largest = 0;
      for (let i = 1; i < ours.length; i++) largest = Math.max(largest, (ours[i]!.t - ours[i - 1]!.t) * 1000);
      timings['largest advert gap across the upgrade (ms)'] = largest;
      expect(ours.length).toBeGreaterThan(8);
      expect(ours.filter((a) => a.prio !== 150)).toEqual([]); // no priority 0
      expect(adverts.filter((a) => a.src !== '192.0.2.1')).toEqual([]); // keepalived never advertised
      expect(largest).toBeLessThan(MASTER_DOWN_MS);
      expect(
        fs
          .readFileSync(monFile, 'utf8')
          .split('\n')
          .filter((l) => l.includes(VIP) && l.startsWith('Deleted')),
      ).toEqual([]);
      expect(hasVip()).toBe(true);
      expect(hasVip(NS2, 'v1')).toBe(false);
      expect(fs.readFileSync(kaLog, 'utf8')).not.toContain('Entering MASTER STATE'); // keepalived started as BACKUP and stayed

      // Stopping the service keeps keepalived's meaning: the VIP is released and the BACKUP takes over.
      const stop = await withSystemd(debRoot, 'deb-systemd-invoke stop tskeepalived.service', { netns: true });
      expect(stop.code, stop.out).toBe(0);
      expect(servicePid(debRoot)).toBeUndefined();
      expect(hasVip()).toBe(false);
      await waitFor(() => hasVip(NS2, 'v1'), 5000, 'keepalived takes over after the stop');
    } finally {
      const pid = servicePid(debRoot);
      if (pid) process.kill(pid, 'SIGKILL');
      if (ka) {
        ka.kill('SIGTERM');
        await new Promise((r) => (ka!.exitCode !== null ? r(null) : ka!.once('exit', r)));
      }
    }

    // Remove keeps the configuration; purge removes it and everything else.
    const files = (await inRoot(debRoot, 'dpkg -L tskeepalived')).out.split('\n').filter((f) => f.startsWith('/'));
    const rm = await withSystemd(debRoot, 'dpkg --remove tskeepalived');
    expect(rm.code, rm.out).toBe(0);
    expect(rm.calls).toContain('deb-systemd-invoke stop tskeepalived.service');
    expect(fs.existsSync(conf)).toBe(true);
    expect(fs.existsSync(path.join(debRoot, 'usr/sbin/tskeepalived'))).toBe(false);
    fs.rmSync(path.join(debRoot, 'var/log/tskeepalived.log'), { force: true }); // the stand-in's, not the package's
    const purge = await inRoot(debRoot, 'dpkg --purge tskeepalived');
    expect(purge.code, purge.out).toBe(0);
    const left = files.filter((f) => {
      const p = path.join(debRoot, f);
      return fs.existsSync(p) && !fs.statSync(p).isDirectory();
    });
    expect(left).toEqual([]);
    const named = spawnSync('find', [debRoot, '-xdev', '-path', path.join(debRoot, 'tmp'), '-prune', '-o', '-name', '*tskeepalived*', '-print'], {
      encoding: 'utf8',
    }).stdout.trim();
    expect(named).toBe('');
  });

  it('rpm: scripts, requirements, configuration and files; the payload runs in a clean root', async (ctx) => {
    if (!ready) return ctx.skip(skipWhy || 'no root');
    const rpmFile = path.join(tmp, 'a', RPM);
    const q = async (...a: string[]) => (await run('rpm', ['-qp', ...a, rpmFile])).out;
    const scripts = await q('--scripts');
    expect(scripts).toMatch(/postinstall scriptlet[\s\S]*\$1 -ge 2[\s\S]*tskeepalived --handover[\s\S]*systemctl restart/);
    expect(scripts).toMatch(/preuninstall scriptlet[\s\S]*\$1 -eq 0[\s\S]*disable --now/);
    const requires = (await q('--requires'))
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    expect(requires).toContain('iproute');
    expect(requires).toContain('glibc >= 2.28');
    expect(requires.filter((r) => /GLIBC_2\.(29|[3-9]\d)/.test(r) || r === '/usr/bin/env' || /\bnode\b/.test(r))).toEqual([]);
    expect((await q('--provides')).split('\n').filter((l) => /\.node\b|\.so\b/.test(l))).toEqual([]);
    expect((await q('--configfiles')).trim()).toBe('/etc/sysconfig/tskeepalived');
    const list = (await q('-l')).split('\n');
    for (const f of [
      '/usr/sbin/tskeepalived',
      '/usr/lib/systemd/system/tskeepalived.service',
      '/usr/share/man/man8/tskeepalived.8.gz',
      '/usr/lib/tskeepalived/node/bin/node',
      '/usr/share/licenses/tskeepalived/LICENSE',
    ])
      expect(list, f).toContain(f);

    fs.copyFileSync(rpmFile, path.join(rpmRoot, 'tmp', RPM));
    const inst = await run('sh', ['-c', `rpm --root '${rpmRoot}' --initdb && rpm --root '${rpmRoot}' -i --nodeps '${path.join(rpmRoot, 'tmp', RPM)}'`]);
    expect(inst.code, inst.out).toBe(0);
    const ver = await inRoot(rpmRoot, 'tskeepalived --version');
    expect(ver.out).toContain(`tskeepalived v${VERSION}`);
    fs.mkdirSync(path.join(rpmRoot, 'etc/keepalived'), { recursive: true });
    fs.writeFileSync(path.join(rpmRoot, 'etc/keepalived/keepalived.conf'), CONF);
    makeNs();
    const t = await inRoot(rpmRoot, 'tskeepalived -t -f /etc/keepalived/keepalived.conf', { netns: true });
    expect(t.code, t.out).toBe(0);
    expect(fs.existsSync(path.join(rpmRoot, 'etc/sysconfig/tskeepalived'))).toBe(true);
  });
});
