/**
 * SMTP alerts against a real SMTP server from Debian's packages: postfix's smtp-sink, listening on the
 * loopback of a network namespace and writing each mail it receives to a file. A VRRP instance and a sync
 * group with smtp_alert, real servers failing and returning (checker alerts are on by default), a mail
 * server that is down and one that accepts and never answers (neither delays a transition). Needs root,
 * iproute2 and smtp-sink (package postfix); skips, saying so, otherwise.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sh, sleep, waitFor } from '../helpers/netns.js';

const BIN = path.resolve(__dirname, '../../bin/tskeepalived.js');
const SINK = '/usr/sbin/smtp-sink';
const root = process.getuid?.() === 0;
const canRun = root && fs.existsSync(SINK) && spawnSync('ip', ['netns', 'add', `tsksmtpprobe${process.pid}`]).status === 0;
if (canRun) spawnSync('ip', ['netns', 'del', `tsksmtpprobe${process.pid}`]);
if (!canRun) console.log('SMTP alert tests skipped: they need root, iproute2 (ip netns) and smtp-sink (package postfix)');

const NS = `tsksmtp${process.pid % 10000}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-smtp-'));
const procs: ChildProcess[] = [];

function inNs(cmd: string[], log?: string): ChildProcess {
  const out = log ? fs.openSync(log, 'w') : 'ignore';
  const p = spawn('ip', ['netns', 'exec', NS, ...cmd], { stdio: ['ignore', out, out] });
  procs.push(p);
  return p;
}

/** smtp-sink on 127.0.0.1:PORT; every mail lands in its own file under `mails`. */
function sink(port: number, mails: string): void {
  fs.mkdirSync(mails, { recursive: true });
  inNs([SINK, '-u', 'root', '-d', `${mails}/%M.`, '-c', `127.0.0.1:${port}`, '10']);
}

/** The received mails: the message from its Date header on (smtp-sink prepends its own lines), by time. */
function mailsIn(mails: string): Array<{ text: string; rcpt: string[]; helo: string }> {
  if (!fs.existsSync(mails)) return [];
  return fs
    .readdirSync(mails)
    .map((f) => fs.readFileSync(path.join(mails, f), 'utf8'))
    .map((raw) => ({ raw, date: /^Date: (.*)$/m.exec(raw)?.[1] ?? '' }))
    .sort((a, b) => Date.parse(a.date) - Date.parse(b.date))
    .map(({ raw }) => ({
      text: raw.slice(raw.indexOf('\nDate: ') + 1),
      rcpt: [...raw.matchAll(/^X-Rcpt-Args: <(.*)>$/gm)].map((m) => m[1]!),
      helo: /^X-Helo-Args: (.*)$/m.exec(raw)?.[1] ?? '',
    }));
}
const subjects = (mails: string) => mailsIn(mails).map((m) => /^Subject: (.*)$/m.exec(m.text)?.[1]);

function conf(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

const globals = (port: number, extra = '') =>
  `global_defs {\n  router_id DIR1\n  notification_email {\n    ops@example.com\n    noc@example.com\n  }\n  notification_email_from lb@example.com\n  smtp_server 127.0.0.1 ${port}\n  smtp_connect_timeout 2\n  smtp_helo_name director1.example.com\n${extra}}\n`;
const instance = (name: string, vrid: number, alert: boolean) =>
  `vrrp_instance ${name} {\n  state MASTER\n  interface veth0\n  virtual_router_id ${vrid}\n  priority 150\n  advert_int 1\n${alert ? '  smtp_alert\n' : ''}  virtual_ipaddress {\n    192.0.2.${vrid}/32\n  }\n}\n`;

let n = 0;
function daemon(file: string): { proc: ChildProcess; log: string } {
  const log = path.join(dir, `d-${++n}.log`);
  const proc = inNs([process.execPath, BIN, '-n', '-l', '-f', file, '-p', path.join(dir, `d-${n}.pid`)], log);
  return { proc, log };
}
const logOf = (d: { log: string }) => fs.readFileSync(d.log, 'utf8');
const stamp = (log: string, needle: string) =>
  Date.parse(
    log
      .split('\n')
      .find((l) => l.includes(needle))!
      .slice(0, 24),
  );

async function stopAll(): Promise<void> {
  for (const p of procs.splice(0)) if (p.exitCode === null) p.kill('SIGTERM');
  await sleep(500);
  spawnSync('sh', ['-c', `ip netns pids ${NS} | xargs -r kill -9`]);
  spawnSync('ip', ['-n', NS, 'link', 'set', 'veth0', 'up']);
  spawnSync('ip', ['-n', NS, 'addr', 'flush', 'dev', 'veth0']);
  spawnSync('ip', ['-n', NS, 'addr', 'add', '192.0.2.1/24', 'dev', 'veth0']);
}

describe.skipIf(!canRun)("SMTP alerts (smtp-sink from Debian's postfix)", () => {
  beforeAll(() => {
    sh('ip', 'netns', 'add', NS);
    sh('ip', '-n', NS, 'link', 'set', 'lo', 'up');
    sh('ip', '-n', NS, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1');
    sh('ip', '-n', NS, 'addr', 'add', '192.0.2.1/24', 'dev', 'veth0');
    sh('ip', '-n', NS, 'link', 'set', 'veth0', 'up');
    sh('ip', '-n', NS, 'link', 'set', 'veth1', 'up');
  });
  afterEach(stopAll);
  afterAll(async () => {
    await stopAll();
    spawnSync('ip', ['netns', 'del', NS]);
    if (!process.env.KEEP_TEST_DIR) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a VRRP instance with smtp_alert and a sync group: keepalived's mails for BACKUP, MASTER and FAULT; an instance without smtp_alert sends none", async () => {
    const mails = path.join(dir, 'vrrp');
    sink(2525, mails);
    await sleep(300);
    const group = 'vrrp_sync_group G1 {\n  group {\n    VG_1\n    VG_2\n  }\n  smtp_alert\n}\n';
    const d = daemon(
      conf(
        'vrrp.conf',
        globals(2525) + group + instance('VI_1', 10, true) + instance('VI_2', 11, false) + instance('VG_1', 12, false) + instance('VG_2', 13, false),
      ),
    );
    await waitFor(() => subjects(mails).filter(Boolean).length >= 4, 15_000, 'four mails');
    spawnSync('ip', ['-n', NS, 'link', 'set', 'veth0', 'down']);
    await waitFor(() => subjects(mails).filter(Boolean).length >= 6, 10_000, 'the FAULT mails');
    const got = mailsIn(mails);
    expect(new Set(got.map((m) => /^Subject: (.*)$/m.exec(m.text)?.[1]))).toEqual(
      new Set([
        '[DIR1] VRRP Instance VI_1 - Entering BACKUP state',
        '[DIR1] VRRP Instance VI_1 - Entering MASTER state',
        '[DIR1] VRRP Group G1 - Entering BACKUP state',
        '[DIR1] VRRP Group G1 - Entering MASTER state',
        '[DIR1] VRRP Instance VI_1 - Entering FAULT state',
        '[DIR1] VRRP Group G1 - Entering FAULT state',
      ]),
    );
    const master = got.find((m) => m.text.includes('VI_1 - Entering MASTER'))!;
    expect(master.text.replace(/^Date: .*\n/, '').trimEnd()).toBe(
      'From: lb@example.com\nSubject: [DIR1] VRRP Instance VI_1 - Entering MASTER state\nX-Mailer: Keepalived\nTo: ops@example.com, noc@example.com\n\n=> VRRP Instance is now owning VRRP VIPs <=',
    );
    expect(master.rcpt).toEqual(['ops@example.com', 'noc@example.com']);
    expect(master.helo).toBe('director1.example.com');
    expect(got.find((m) => m.text.includes('Group G1 - Entering MASTER'))!.text).toContain('=> All VRRP group instances are now in MASTER state <=');
    expect(logOf(d)).toContain('SMTP alert successfully sent.');
    spawnSync('ip', ['-n', NS, 'link', 'set', 'veth0', 'up']);
  }, 60_000);

  it('real servers: DOWN and UP mails by default when an smtp_server is set (no IPVS needed)', async () => {
    const mails = path.join(dir, 'rs');
    sink(2526, mails);
    const backend = inNs([
      process.execPath,
      '-e',
      "const net=require('net');let s=net.createServer(()=>{}).listen(8081,'127.0.0.1');process.on('SIGUSR1',()=>s.close());process.on('SIGUSR2',()=>{s=net.createServer(()=>{}).listen(8081,'127.0.0.1')});setInterval(()=>{},1000)",
    ]);
    await sleep(500);
    const vs = `virtual_server 192.0.2.200 80 {\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  real_server 127.0.0.1 8081 {\n    weight 1\n    TCP_CHECK {\n      connect_timeout 1\n      retry 1\n    }\n  }\n}\n`;
    const d = daemon(conf('rs.conf', globals(2526) + vs));
    await waitFor(() => logOf(d).includes('tskeepalived started'), 15_000, 'started');
    await sleep(1500);
    // `ip netns exec` runs the node process as its child: signal the node process itself.
    const nodePid = spawnSync('pgrep', ['-P', String(backend.pid)], { encoding: 'utf8' }).stdout.trim() || String(backend.pid);
    process.kill(Number(nodePid), 'SIGUSR1');
    await waitFor(() => subjects(mails).filter(Boolean).length >= 1, 10_000, 'the DOWN mail');
    process.kill(Number(nodePid), 'SIGUSR2');
    // Both mails whole (smtp-sink creates a mail's file before it has written it).
    const whole = () => mailsIn(mails).filter((m) => m.text.includes('=> TCP CHECK'));
    await waitFor(() => whole().length >= 2, 10_000, 'the UP mail');
    const got = [whole().find((m) => m.text.includes(' - DOWN\n'))!, whole().find((m) => m.text.includes(' - UP\n'))!];
    expect(got[0]!.text.replace(/^Date: .*\n/, '').trimEnd()).toBe(
      'From: lb@example.com\nSubject: [DIR1] Realserver [127.0.0.1]:tcp:8081 of virtual server [192.0.2.200]:tcp:80 - DOWN\nX-Mailer: Keepalived\nTo: ops@example.com, noc@example.com\n\n=> TCP CHECK failed on service <=',
    );
    expect(got[1]!.text).toContain('Subject: [DIR1] Realserver [127.0.0.1]:tcp:8081 of virtual server [192.0.2.200]:tcp:80 - UP\n');
    expect(got[1]!.text).toContain('=> TCP CHECK succeed on service <=');
  }, 60_000);

  it('a mail server that is down, or that accepts and never answers, delays no transition; each failure is one log line', async () => {
    // 2527: nothing listens. 2528: a server that accepts and stays silent.
    inNs([process.execPath, '-e', "require('net').createServer(()=>{}).listen(2528,'127.0.0.1')"]);
    await sleep(500);
    for (const port of [2527, 2528]) {
      const d = daemon(conf(`dead-${port}.conf`, globals(port) + instance('VI_1', 20, true)));
      await waitFor(() => logOf(d).includes('Entering MASTER STATE'), 15_000, 'MASTER');
      const log = logOf(d);
      // state MASTER waits one advert interval + minimum skew (1.004 s) after BACKUP, mail or no mail.
      const took = stamp(log, 'Entering MASTER STATE') - stamp(log, 'Entering BACKUP STATE');
      console.log(`mail server on ${port} ${port === 2527 ? 'down' : 'silent'}: BACKUP -> MASTER in ${took} ms`);
      expect(took).toBeLessThan(1300);
      await waitFor(() => (logOf(d).match(/SMTP alert .* not sent/g) ?? []).length >= 2, 10_000, 'two failures logged');
      expect(logOf(d)).toMatch(
        port === 2527 ? /not sent to \[127\.0\.0\.1\]:2527: .*ECONNREFUSED/ : /not sent to \[127\.0\.0\.1\]:2528: no answer to the greeting within 2000 ms/,
      );
      await stopAll();
      if (port === 2527) inNs([process.execPath, '-e', "require('net').createServer(()=>{}).listen(2528,'127.0.0.1')"]);
      await sleep(500);
    }
  }, 60_000);
});
