/**
 * VRRP notifications from a real daemon in a network namespace: instance and sync-group notify scripts
 * (the specific one and the generic one with keepalived's four arguments), run as global_defs script_user,
 * and the notify FIFO with keepalived's lines (`INSTANCE "VI_1" MASTER 150`, `GROUP "G1" MASTER 0`,
 * MASTER_PRIORITY with notify_priority_changes, STOP at shutdown). Needs root and iproute2.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '../../bin/tskeepalived.js');
const root = process.getuid?.() === 0;
const canRun = root && spawnSync('ip', ['netns', 'add', `nfprobe${process.pid}`]).status === 0;
if (canRun) spawnSync('ip', ['netns', 'del', `nfprobe${process.pid}`]);
if (!canRun) console.log('VRRP notify tests skipped: they need root and iproute2 (ip netns)');
const nobody = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim();

const tag = `${process.pid % 10000}`;
const NS = `nfa${tag}`;
const IFS = [`nfv${tag}`, `nfw${tag}`];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-notify-'));
fs.chmodSync(dir, 0o777);
const procs: ChildProcess[] = [];

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

describe.skipIf(!canRun || nobody === '')('VRRP notify scripts and the notify FIFO', () => {
  afterAll(() => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    spawnSync('sh', ['-c', `ip netns pids ${NS} | xargs -r kill -9`]);
    spawnSync('ip', ['netns', 'del', NS]);
    if (!process.env.KEEP_TEST_DIR) fs.rmSync(dir, { recursive: true, force: true });
  });

  beforeAll(() => {
    spawnSync('ip', ['netns', 'add', NS]);
    IFS.forEach((ifname, i) => {
      spawnSync('ip', ['-n', NS, 'link', 'add', ifname, 'type', 'veth', 'peer', 'name', `${ifname}p`]);
      spawnSync('ip', ['-n', NS, 'link', 'set', `${ifname}p`, 'up']);
      spawnSync('ip', ['-n', NS, 'link', 'set', ifname, 'up']);
      spawnSync('ip', ['-n', NS, 'addr', 'add', `192.0.2.${i + 1}/24`, 'dev', ifname]);
    });
  });

  it('runs instance and group scripts as script_user and writes keepalived lines to the FIFO', async () => {
    const out = path.join(dir, 'calls.txt');
    fs.writeFileSync(out, '');
    fs.chmodSync(out, 0o666);
    const script = path.join(dir, 'note.sh');
    fs.writeFileSync(script, `#!/bin/sh\necho "$(id -u) $*" >> ${out}\n`);
    fs.chmodSync(script, 0o755);
    const fifo = path.join(dir, 'notify.fifo');
    spawnSync('mkfifo', [fifo]);
    const fifoOut = path.join(dir, 'fifo.txt');
    const reader = spawn('sh', ['-c', `cat ${fifo} > ${fifoOut}`], { stdio: 'ignore' });
    procs.push(reader);
    const track = path.join(dir, 'track.sh');
    const flag = path.join(dir, 'fail');
    fs.writeFileSync(track, `#!/bin/sh\n[ ! -e ${flag} ]\n`);
    fs.chmodSync(track, 0o755);
    const conf = path.join(dir, 'k.conf');
    fs.writeFileSync(
      conf,
      `global_defs {
  script_user nobody
  notify_fifo ${fifo}
  vrrp_notify_priority_changes
}
vrrp_script chk {
  script "${track}"
  interval 1
  weight -10
}
vrrp_sync_group G1 {
  group {
    VI_1
    VI_2
  }
  notify_master "${script} group-master"
  notify "${script} group-generic"
  sync_group_tracking_weight
}
${IFS.map(
  (ifname, i) => `vrrp_instance VI_${i + 1} {
  state MASTER
  interface ${ifname}
  virtual_router_id ${51 + i}
  priority 150
  advert_int 1
  notify_master "${script} master-${i + 1}"
  notify "${script} generic"
  track_script {
    chk
  }
  virtual_ipaddress {
    192.0.2.${100 + i}/24
  }
}`,
).join('\n')}
`,
    );
    const log = fs.openSync(path.join(dir, 'd.log'), 'w');
    const d = spawn('ip', ['netns', 'exec', NS, process.execPath, BIN, '-n', '-l', '-f', conf], { stdio: ['ignore', log, log] });
    procs.push(d);
    const calls = () => fs.readFileSync(out, 'utf8');
    await waitFor(() => calls().includes('GROUP G1 MASTER 0'), 10_000, 'the group MASTER notify');
    await waitFor(() => fs.existsSync(fifoOut) && fs.readFileSync(fifoOut, 'utf8').includes('GROUP "G1" MASTER 0'), 3000, 'the FIFO group line');
    // The priority falls by 10 when the track script fails: a MASTER_PRIORITY line.
    fs.writeFileSync(flag, '');
    await waitFor(() => fs.existsSync(fifoOut) && fs.readFileSync(fifoOut, 'utf8').includes('INSTANCE "VI_1" MASTER_PRIORITY 140'), 5000, 'the priority line');
    d.kill('SIGTERM');
    await waitFor(() => d.exitCode !== null, 5000, 'the daemon to stop');
    await new Promise((r) => setTimeout(r, 300));
    const lines = calls().trim().split('\n');
    // Every script ran as nobody, with keepalived's arguments.
    for (const l of lines) expect(l.split(' ')[0]).toBe(nobody);
    expect(lines).toContain(`${nobody} master-1`);
    expect(lines).toContain(`${nobody} master-2`);
    expect(lines).toContain(`${nobody} generic INSTANCE VI_1 MASTER 150`);
    expect(lines).toContain(`${nobody} generic INSTANCE VI_2 MASTER 150`);
    expect(lines).toContain(`${nobody} group-master`);
    expect(lines).toContain(`${nobody} group-generic GROUP G1 MASTER 0`);
    const fifoText = fs.readFileSync(fifoOut, 'utf8');
    expect(fifoText).toContain('INSTANCE "VI_1" BACKUP 150');
    expect(fifoText).toContain('INSTANCE "VI_1" MASTER 150');
    expect(fifoText).toContain('GROUP "G1" BACKUP 0');
    expect(fifoText).toContain('INSTANCE "VI_2" STOP 140');
    expect(fifoText).toContain('GROUP "G1" STOP 0');
    // A FIFO the daemon did not create is left in place.
    expect(fs.statSync(fifo).isFIFO()).toBe(true);
  }, 40_000);

  it('track_file: the number in the file times the weight moves the priority; below -253 (or weight 0 and non-zero) is FAULT', async () => {
    const fifo = path.join(dir, 'tf.fifo');
    const fifoOut = path.join(dir, 'tf.txt');
    spawnSync('mkfifo', [fifo]);
    const reader = spawn('sh', ['-c', `cat ${fifo} > ${fifoOut}`], { stdio: 'ignore' });
    procs.push(reader);
    const tf = path.join(dir, 'weight.txt');
    const conf = path.join(dir, 'tf.conf');
    fs.writeFileSync(
      conf,
      `global_defs {
  notify_fifo ${fifo}
  vrrp_notify_priority_changes
}
track_file tf {
  file "${tf}"
  weight -10
  init_file 0 overwrite
}
vrrp_instance VI_1 {
  state MASTER
  interface ${IFS[0]}
  virtual_router_id 61
  priority 150
  advert_int 1
  track_file {
    tf
  }
  virtual_ipaddress {
    192.0.2.110/24
  }
}
`,
    );
    const log = fs.openSync(path.join(dir, 'tf.log'), 'w');
    const d = spawn('ip', ['netns', 'exec', NS, process.execPath, BIN, '-n', '-l', '-f', conf], { stdio: ['ignore', log, log] });
    procs.push(d);
    const text = () => (fs.existsSync(fifoOut) ? fs.readFileSync(fifoOut, 'utf8') : '');
    await waitFor(() => text().includes('INSTANCE "VI_1" MASTER 150'), 10_000, 'MASTER');
    expect(fs.readFileSync(tf, 'utf8').trim()).toBe('0'); // init_file
    fs.writeFileSync(tf, '5\n');
    await waitFor(() => text().includes('INSTANCE "VI_1" MASTER_PRIORITY 100'), 3000, 'priority 150 - 5 x 10');
    fs.writeFileSync(tf, '30\n'); // -300 < -253
    await waitFor(() => text().includes('INSTANCE "VI_1" FAULT'), 3000, 'FAULT');
    fs.writeFileSync(tf, '0\n');
    await waitFor(
      () =>
        text()
          .split('\n')
          .filter((l) => l.startsWith('INSTANCE "VI_1" MASTER 150')).length === 2,
      6000,
      'back to MASTER',
    );
    d.kill('SIGTERM');
    await waitFor(() => d.exitCode !== null, 5000, 'the daemon to stop');
  }, 40_000);

  it('track_process: the instance is in FAULT while the tracked process is not running (weight 0)', async () => {
    const fifo = path.join(dir, 'tp.fifo');
    const fifoOut = path.join(dir, 'tp.txt');
    spawnSync('mkfifo', [fifo]);
    procs.push(spawn('sh', ['-c', `cat ${fifo} > ${fifoOut}`], { stdio: 'ignore' }));
    const exe = path.join(dir, `tskzz${tag}`);
    fs.copyFileSync('/bin/sleep', exe);
    fs.chmodSync(exe, 0o755);
    const conf = path.join(dir, 'tp.conf');
    fs.writeFileSync(
      conf,
      `global_defs {
  notify_fifo ${fifo}
}
vrrp_track_process tz {
  process tskzz${tag}
  weight 0
}
vrrp_instance VI_1 {
  state MASTER
  interface ${IFS[1]}
  virtual_router_id 62
  priority 150
  advert_int 1
  track_process {
    tz
  }
  virtual_ipaddress {
    192.0.2.111/24
  }
}
`,
    );
    const log = fs.openSync(path.join(dir, 'tp.log'), 'w');
    const d = spawn('ip', ['netns', 'exec', NS, process.execPath, BIN, '-n', '-l', '-f', conf], { stdio: ['ignore', log, log] });
    procs.push(d);
    const text = () => (fs.existsSync(fifoOut) ? fs.readFileSync(fifoOut, 'utf8') : '');
    await waitFor(() => text().includes('INSTANCE "VI_1" FAULT'), 10_000, 'FAULT without the process');
    const p = spawn(exe, ['60'], { stdio: 'ignore' });
    procs.push(p);
    await waitFor(() => text().includes('INSTANCE "VI_1" MASTER'), 6000, 'MASTER once the process runs');
    p.kill('SIGKILL');
    await waitFor(
      () =>
        text()
          .split('\n')
          .filter((l) => l.startsWith('INSTANCE "VI_1" FAULT')).length === 2,
      3000,
      'FAULT again',
    );
    d.kill('SIGTERM');
    await waitFor(() => d.exitCode !== null, 5000, 'the daemon to stop');
  }, 40_000);

  it('an instance whose interface has no address yet waits in FAULT and starts once the address appears (keepalived)', async () => {
    const ifx = `nfx${tag}`;
    spawnSync('ip', ['-n', NS, 'link', 'add', ifx, 'type', 'veth', 'peer', 'name', `${ifx}p`]);
    spawnSync('ip', ['-n', NS, 'link', 'set', `${ifx}p`, 'up']);
    spawnSync('ip', ['-n', NS, 'link', 'set', ifx, 'up']);
    const conf = path.join(dir, 'noaddr.conf');
    fs.writeFileSync(
      conf,
      `vrrp_instance VI_1 {\n  state MASTER\n  interface ${ifx}\n  virtual_router_id 63\n  priority 150\n  advert_int 1\n  virtual_ipaddress {\n    203.0.113.100/24\n  }\n}\n`,
    );
    const logFile = path.join(dir, 'noaddr.log');
    const d = spawn('ip', ['netns', 'exec', NS, process.execPath, BIN, '-n', '-l', '-f', conf], {
      stdio: ['ignore', fs.openSync(logFile, 'w'), fs.openSync(logFile, 'a')],
    });
    procs.push(d);
    const log = () => fs.readFileSync(logFile, 'utf8');
    await waitFor(() => log().includes('Entering FAULT STATE (interface'), 10_000, 'the FAULT line');
    expect(d.exitCode).toBeNull();
    spawnSync('ip', ['-n', NS, 'addr', 'add', '203.0.113.1/24', 'dev', ifx]);
    await waitFor(() => log().includes('(VI_1) Entering MASTER STATE'), 8000, 'MASTER once the address is there');
    expect(spawnSync('ip', ['-n', NS, '-4', 'addr', 'show', 'dev', ifx], { encoding: 'utf8' }).stdout).toContain('203.0.113.100/24');
    d.kill('SIGTERM');
    await waitFor(() => d.exitCode !== null, 5000, 'the daemon to stop');
  }, 40_000);
  it("checkers' RS/VS lines: on notify_fifo next to VRRP's lines, and alone on lvs_notify_fifo (no IPVS needed)", async () => {
    // The checked real server listens inside the namespace, on the instance's address.
    const port = 18000 + (process.pid % 1000);
    const srv = spawn('ip', ['netns', 'exec', NS, process.execPath, '-e', `require('net').createServer((c) => c.destroy()).listen(${port}, '192.0.2.1')`], {
      stdio: 'ignore',
    });
    procs.push(srv);
    const fifo = path.join(dir, 'all.fifo');
    const lvsFifo = path.join(dir, 'lvs.fifo');
    const out = path.join(dir, 'all.txt');
    const lvsOut = path.join(dir, 'lvs.txt');
    for (const f of [fifo, lvsFifo]) spawnSync('mkfifo', [f]);
    procs.push(spawn('sh', ['-c', `cat ${fifo} > ${out}`], { stdio: 'ignore' }), spawn('sh', ['-c', `cat ${lvsFifo} > ${lvsOut}`], { stdio: 'ignore' }));
    const conf = path.join(dir, 'lvs.conf');
    fs.writeFileSync(
      conf,
      `global_defs {
  notify_fifo ${fifo}
  lvs_notify_fifo ${lvsFifo}
}
vrrp_instance VI_1 {
  state MASTER
  interface ${IFS[0]}
  virtual_router_id 71
  priority 150
  advert_int 1
  virtual_ipaddress {
    192.0.2.120/24
  }
}
virtual_server 192.0.2.120 80 {
  delay_loop 0.5
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 192.0.2.1 ${port} {
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
`,
    );
    const logFile = path.join(dir, 'lvs.log');
    const d = spawn('ip', ['netns', 'exec', NS, process.execPath, BIN, '-n', '-l', '-f', conf], {
      stdio: ['ignore', fs.openSync(logFile, 'w'), fs.openSync(logFile, 'a')],
    });
    procs.push(d);
    await waitFor(() => fs.existsSync(out) && fs.readFileSync(out, 'utf8').includes('INSTANCE "VI_1" MASTER 150'), 10_000, 'the VRRP line');
    await new Promise((r) => setTimeout(r, 1000));
    srv.kill('SIGKILL');
    const rsDown = `RS [192.0.2.1]:tcp:${port} [192.0.2.120]:tcp:80 DOWN`;
    await waitFor(() => fs.readFileSync(out, 'utf8').includes(rsDown), 10_000, `the RS line (${fs.readFileSync(logFile, 'utf8').slice(-800)})`);
    d.kill('SIGTERM');
    await waitFor(() => d.exitCode !== null, 5000, 'the daemon to stop');
    await new Promise((r) => setTimeout(r, 300));
    const all = fs.readFileSync(out, 'utf8').trim().split('\n');
    const lvs = fs.readFileSync(lvsOut, 'utf8').trim().split('\n');
    expect(all).toEqual(expect.arrayContaining(['INSTANCE "VI_1" MASTER 150', rsDown, 'VS [192.0.2.120]:tcp:80 DOWN']));
    expect(lvs).toEqual([rsDown, 'VS [192.0.2.120]:tcp:80 DOWN']);
    // Each line once on notify_fifo: VRRP and the checkers share one writer.
    expect(all.filter((l) => l === rsDown)).toHaveLength(1);
  }, 40_000);
});
