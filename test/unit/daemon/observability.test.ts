/**
 * The daemon's pure visibility parts: log lines (human wording, JSON passthrough), syslog facilities,
 * the stats and data dumps, the status table, the metrics listen address, and the systemd unit's
 * command line (every flag it passes must parse).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../../src/cli/options.js';
import { renderStatus } from '../../../src/cli/status.js';
import type { DaemonSnapshot } from '../../../src/daemon/daemon.js';
import { dataDump, statsDump } from '../../../src/daemon/dumps.js';
import { createLogger, facilityName, humanLine, lineTime } from '../../../src/daemon/log.js';
import { buildRegistry, parseListen } from '../../../src/daemon/metrics.js';
import { newInstanceStats } from '../../../src/vrrp/instance.js';

const snap = (): DaemonSnapshot => {
  const stats = { ...newInstanceStats(), advertTx: 42, advertRx: 7, becameMaster: 2, releasedMaster: 1, priZeroTx: 1 };
  stats.drops.ttl = 3;
  stats.drops.authMismatch = 4;
  return {
    pid: 123,
    configFile: '/etc/keepalived/keepalived.conf',
    startedAt: '2026-11-22T10:00:00.000Z',
    reloads: { ok: 2, failed: 1 },
    vrrp: [
      {
        name: 'VI_1',
        vrid: 51,
        family: 'inet',
        interface: 'eth0',
        version: 2,
        state: 'MASTER',
        priority: 140,
        basePriority: 150,
        faulty: false,
        sinceMs: 1,
        vips: ['192.0.2.100/24 dev eth0'],
        stats,
        syncGroup: 'G',
        trackers: [
          { kind: 'interface', name: 'eth0', up: true, weight: 0, reverse: false },
          { kind: 'script', name: 'chk_web', up: false, weight: -10, reverse: false },
        ],
      },
    ],
    ipvs: true,
    checkers: {
      realServers: [
        {
          id: '[198.51.100.11]:tcp:80',
          key: 'k',
          virtualServer: '[192.0.2.100]:tcp:80',
          address: '198.51.100.11',
          port: 80,
          alive: false,
          weight: 1,
          checkers: [{ type: 'HTTP_GET', up: false, checks: 9, failures: 3, lastReason: 'HTTP connection to [198.51.100.11]:tcp:80 failed: ECONNREFUSED' }],
        },
      ],
      virtualServers: [{ id: '[192.0.2.100]:tcp:80', key: 'v', quorumUp: true }],
    },
  };
};

describe('log lines', () => {
  it('human: the message as keepalived words it, severity as a prefix only for warnings and errors, extra fields appended', () => {
    expect(humanLine({ level: 30, time: 't', pid: 1, msg: '(VI_1) Entering MASTER STATE' })).toBe('(VI_1) Entering MASTER STATE');
    expect(humanLine({ level: 40, time: 't', pid: 1, msg: 'x' })).toBe('Warning: x');
    expect(humanLine({ level: 50, time: 't', pid: 1, msg: 'y', file: 'a.conf' })).toBe('Error: y file=a.conf');
  });
  it('a logger writes one stamped line per event to its sink, JSON untouched in json format, and respects the level', () => {
    const human: string[] = [];
    const json: string[] = [];
    createLogger({ console: true, sink: (l) => human.push(l) }).info('(VI_1) Entering BACKUP STATE');
    createLogger({ console: true, format: 'json', level: 'warn', sink: (l) => json.push(l) }).info('hidden');
    createLogger({ console: true, format: 'json', sink: (l) => json.push(l) }).warn('shown');
    expect(human[0]).toMatch(new RegExp(`^\\d{4}-[\\d-]+T[\\d:.]+Z tskeepalived\\[${process.pid}\\]: \\(VI_1\\) Entering BACKUP STATE$`));
    expect(Math.abs(lineTime(human[0]!) - Date.now())).toBeLessThan(5000);
    expect(json).toHaveLength(1);
    expect(JSON.parse(json[0]!)).toMatchObject({ level: 40, msg: 'shown', pid: process.pid });
    expect(Math.abs(lineTime(json[0]!) - Date.now())).toBeLessThan(5000);
  });
  it('syslog facilities as keepalived -S takes them', () => {
    expect(facilityName('3')).toBe('local3');
    expect(facilityName('daemon')).toBe('daemon');
    expect(facilityName('LOG_LOCAL7')).toBe('local7');
    expect(() => facilityName('8')).toThrow(/not 0-7/);
  });
});

describe('dumps and status', () => {
  it("the stats dump has keepalived's layout and numbers", () => {
    const t = statsDump(snap());
    expect(t).toBe(
      [
        'VRRP Instance: VI_1',
        '  Advertisements:',
        '    Received: 7',
        '    Sent: 42',
        '  Became master: 2',
        '  Released master: 1',
        '  Packet Errors:',
        '    Length: 0',
        '    TTL: 3',
        '    Invalid Type: 0',
        '    Advertisement Interval: 0',
        '    Address List: 0',
        '  Authentication Errors:',
        '    Invalid Type: 0',
        '    Type Mismatch: 0',
        '    Failure: 4',
        '  Priority Zero:',
        '    Received: 0',
        '    Sent: 1',
        '',
      ].join('\n'),
    );
  });
  it('the stats dump counts AH sequence-number drops as authentication failures, as keepalived', () => {
    const s = snap();
    s.vrrp[0]!.stats.drops.ahSequence = 2;
    expect(statsDump(s)).toContain('    Failure: 6\n');
  });
  it('the data dump shows instances, VIPs, quorum and each real server with its checkers', () => {
    const t = dataDump(snap(), new Date('2026-11-22T11:00:00Z'));
    expect(t).toContain(' VRRP Instance = VI_1\n   VRRP Version = 2\n   State = MASTER\n');
    expect(t).toContain('   Priority = 140\n   Configured priority = 150\n   Sync group = G\n   Virtual IP (1):\n     192.0.2.100/24 dev eth0\n');
    expect(t).toContain(' Virtual server = [192.0.2.100]:tcp:80\n   Quorum = up\n   Real server = [198.51.100.11]:tcp:80\n     Alive = no\n');
    expect(t).toContain('HTTP_GET = down, 9 checks, 3 failures, last failure: HTTP connection to [198.51.100.11]:tcp:80 failed: ECONNREFUSED');
  });
  it('trackers: in the data dump, the status table and the metrics', async () => {
    const s = snap();
    expect(dataDump(s)).toContain('   Tracked (2):\n     interface eth0 = up, weight 0\n     script chk_web = down, weight -10\n');
    const t = renderStatus(s);
    expect(t).toMatch(/INSTANCE\s+TRACKS\s+NAME\s+STATE\s+VALUE\s+WEIGHT/);
    expect(t).toMatch(/VI_1\s+script\s+chk_web\s+down\s+-10/);
    expect(t).toMatch(/VI_1\s+interface\s+eth0\s+up\s+FAULT when down/);
    const m = await buildRegistry(() => s).metrics();
    expect(m).toContain('tskeepalived_vrrp_tracker_up{instance="VI_1",vrid="51",interface="eth0",kind="script",tracked="chk_web"} 0');
    expect(m).toContain('tskeepalived_vrrp_tracker_weight{instance="VI_1",vrid="51",interface="eth0",kind="script",tracked="chk_web"} -10');
  });

  it('the status table', () => {
    const t = renderStatus({
      ...snap(),
      processes: [
        { role: 'supervisor', pid: 123, rssBytes: 50 << 20, cpuSeconds: 1, loopLagP99Ms: 11, loopLagMaxMs: 12, timers: 0, resources: 0 },
        { role: 'vrrp', pid: 124, rssBytes: 40 << 20, cpuSeconds: 1, loopLagP99Ms: 11, loopLagMaxMs: 12, timers: 0, resources: 0 },
      ],
    });
    expect(t).toContain('processes: supervisor 123 (50 MiB), vrrp 124 (40 MiB)');
    expect(t).toMatch(/^INSTANCE\s+STATE\s+PRIO\s+VRID\s+VER\s+INTERFACE\s+GROUP\s+VIPS$/m);
    expect(t).toMatch(/^VI_1\s+MASTER\s+140 \(150\)\s+51\s+v2\s+eth0\s+G\s+192\.0\.2\.100\/24$/m);
    expect(t).toMatch(/^\[192\.0\.2\.100\]:tcp:80\s+up\s+\[198\.51\.100\.11\]:tcp:80\s+no\s+1\s+HTTP_GET:down$/m);
    expect(t).toContain('reloads 2 applied / 1 refused');
  });
});

describe('metrics listen address', () => {
  it('ADDR:PORT, [IPV6]:PORT and :PORT; anything else is refused with the accepted forms', () => {
    expect(parseListen('127.0.0.1:9650')).toEqual({ host: '127.0.0.1', port: 9650 });
    expect(parseListen('[::1]:9650')).toEqual({ host: '::1', port: 9650 });
    expect(parseListen(':9650')).toEqual({ port: 9650 });
    expect(() => parseListen('9650')).toThrow(/ADDR:PORT/);
    expect(() => parseListen('127.0.0.1:70000')).toThrow(/ADDR:PORT/);
  });
});

describe('packaging/tskeepalived.service', () => {
  it("ExecStart's flags are tskeepalived flags: foreground, console logging, a pid file", () => {
    const unit = fs.readFileSync(path.resolve(__dirname, '../../../packaging/tskeepalived.service'), 'utf8');
    const exec = /^ExecStart=\S+ (.*) \$DAEMON_ARGS$/m.exec(unit)![1]!.split(/\s+/);
    const o = parseArgs(exec);
    expect(o).toMatchObject({ dontFork: true, logConsole: true, pid: '/run/tskeepalived.pid' });
    expect(unit).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
  });
});
