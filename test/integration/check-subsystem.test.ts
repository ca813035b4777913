/**
 * The checker subsystem driven by real probes on loopback and a real tracked file (inotify), with IPVS
 * replaced by a sink that records the health it is given (the netlink side is tested in the VM lab): a
 * real server followed down and up through real connections, FILE_CHECK through a real file. The rules
 * themselves (fan-out, retry timing, quorum, reload carry-over, ha_suspend) are unit-tested on a manual
 * clock in test/unit/check/subsystem.test.ts.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckerSubsystem, type HealthSink } from '../../src/check/index.js';
import { loadConfig } from '../../src/config/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-checksub-'));
const flag = path.join(dir, 'weight');
let server: net.Server;
let port = 0;
let accepted = 0;

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

function config(extra = ''): string {
  const rs = (p: number, checks: string) => `  real_server 127.0.0.1 ${p} {\n    weight 10\n${checks}  }\n`;
  const tcp = `    TCP_CHECK {\n      connect_timeout 1\n      retry 1\n      delay_before_retry 0.2\n    }\n`;
  const file = `    FILE_CHECK {\n      track_file W\n    }\n`;
  return `track_file W {\n  file ${flag}\n  weight 2\n}\n
virtual_server 192.0.2.10 80 {\n  delay_loop 0.3\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  quorum 5\n${rs(port, tcp)}${extra}}\n
virtual_server 192.0.2.11 80 {\n  delay_loop 0.3\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n${rs(port, tcp + file)}}\n`;
}

function load(text: string) {
  const f = path.join(dir, `k${Math.random()}.conf`);
  fs.writeFileSync(f, text);
  const r = loadConfig(f, {});
  expect(r.diagnostics.list.filter((d) => d.severity === 'error')).toEqual([]);
  return r.config;
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (cond()) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

beforeAll(async () => {
  server = net.createServer((c) => {
    accepted++;
    c.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
  fs.writeFileSync(flag, '0\n');
});
afterAll(() => {
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('CheckerSubsystem on loopback', () => {
  it('follows a real server down and up over real connections, and FILE_CHECK through a real file', async () => {
    const pushes: number[] = [];
    const sink: HealthSink = { healthChanged: async () => void pushes.push(Date.now()) };
    const cfg = load(config());
    const fifo: string[] = [];
    const sub = CheckerSubsystem.start(cfg, sink, quiet, undefined, { fifo: (l) => fifo.push(l) });
    const rs = (vs: string) => sub.snapshot().realServers.find((r) => r.virtualServer === vs)!;
    const vs1 = '[192.0.2.10]:tcp:80';
    const vs2 = '[192.0.2.11]:tcp:80';
    try {
      // Real connections reach the listener.
      accepted = 0;
      await waitFor(() => accepted >= 2, 5000, 'two checks');
      expect(rs(vs1)).toMatchObject({ alive: true, weight: 10 });
      expect(rs(vs2).checkers.map((c) => c.type)).toEqual(['TCP_CHECK', 'FILE_CHECK']);

      // FILE_CHECK: value x weight is added to the real server's weight; a huge negative value fails it.
      fs.writeFileSync(flag, '3\n');
      await waitFor(() => rs(vs2).weight === 16, 3000, 'weight 10 + 3 x 2');
      expect(rs(vs1).weight).toBe(10); // the other virtual server has no FILE_CHECK
      fs.writeFileSync(flag, '-2000000000\n');
      await waitFor(() => !rs(vs2).alive, 3000, 'FILE_CHECK fault');
      expect(rs(vs1).alive).toBe(true);
      fs.writeFileSync(flag, '0\n');
      await waitFor(() => rs(vs2).alive && rs(vs2).weight === 10, 3000, 'FILE_CHECK back');

      // The listener goes away: down after retry 1 (two failures), in both virtual servers; quorum 5 lost.
      expect(sub.snapshot().virtualServers.find((v) => v.id === vs1)!.quorumUp).toBe(true);
      server.close();
      const down = await waitFor(() => !rs(vs1).alive && !rs(vs2).alive, 5000, 'real server down');
      console.log(`real server down ${down} ms after its listener closed (delay_loop 0.3 + retry 1 x 0.2 s)`);
      expect(sub.snapshot().virtualServers.find((v) => v.id === vs1)!.quorumUp).toBe(false);
      // keepalived's notify_fifo lines for the real server in each virtual server, and the lost quorum.
      expect(fifo).toContain(`RS [127.0.0.1]:tcp:${port} ${vs1} DOWN`);
      expect(fifo).toContain(`RS [127.0.0.1]:tcp:${port} ${vs2} DOWN`);
      expect(fifo).toContain(`VS ${vs1} DOWN`);
      expect(fifo).toContain(`VS ${vs2} DOWN`); // keepalived's default quorum is 1
      fifo.length = 0;

      // The listener comes back on the same port: up again, quorum regained.
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      await waitFor(() => rs(vs1).alive && rs(vs2).alive, 5000, 'real server up');
      expect(sub.snapshot().virtualServers.find((v) => v.id === vs1)!.quorumUp).toBe(true);
      expect(pushes.length).toBeGreaterThan(3);
      expect(fifo).toEqual(expect.arrayContaining([`RS [127.0.0.1]:tcp:${port} ${vs1} UP`, `VS ${vs1} UP`]));
    } finally {
      await sub.stop();
    }
  });
});
