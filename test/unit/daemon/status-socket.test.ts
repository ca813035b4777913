/**
 * The status socket's request lines on a real unix socket: `status`, `handover`, a client that sends nothing
 * (the status, as before request lines existed), an unknown request (named in the error), and a daemon
 * without a handover handler.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readStatus, request, StatusServer } from '../../../src/daemon/status-socket.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-sock-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What a client that writes `send` (or nothing) reads back. */
function raw(file: string, send?: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const c = net.connect(file);
    let text = '';
    if (send !== undefined) c.once('connect', () => c.write(send));
    c.on('data', (d) => (text += d));
    c.on('end', () => resolve(JSON.parse(text)));
    c.on('error', reject);
  });
}

describe('status socket requests', () => {
  it('status, handover, nothing sent, unknown', async () => {
    const file = path.join(dir, 'a.sock');
    let handovers = 0;
    const s = await StatusServer.listen(file, () => ({ pid: 1 }), { handover: async () => ({ pid: 1, file: `/run/x${++handovers}` }) });
    try {
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(await readStatus(file)).toEqual({ pid: 1 });
      expect(await request(file, 'handover')).toEqual({ handover: { pid: 1, file: '/run/x1' } });
      expect(await raw(file)).toEqual({ pid: 1 }); // a client of before request lines
      expect(await raw(file, 'reboot\n')).toEqual({ error: "unknown request 'reboot' (status, health or handover)" });
      expect(handovers).toBe(1);
    } finally {
      await s.close();
    }
    expect(fs.existsSync(file)).toBe(false);
  });

  it('health: live, and ready or not with the reason', async () => {
    const file = path.join(dir, 'h.sock');
    let ready = { ready: false, why: 'the VRRP process is not running' } as { ready: boolean; why?: string };
    const s = await StatusServer.listen(file, () => ({ pid: 3 }), { readiness: () => ready });
    try {
      expect(await request(file, 'health')).toEqual({ live: true, ready: false, why: 'the VRRP process is not running' });
      ready = { ready: true };
      expect(await request(file, 'health')).toEqual({ live: true, ready: true });
    } finally {
      await s.close();
    }
  });

  it('a daemon that cannot hand over says so; a failed handover answers its reason', async () => {
    const file = path.join(dir, 'b.sock');
    const s = await StatusServer.listen(file, () => ({ pid: 2 }));
    try {
      expect(await request(file, 'handover')).toEqual({ error: 'this daemon cannot hand over' });
    } finally {
      await s.close();
    }
    const s2 = await StatusServer.listen(file, () => ({ pid: 2 }), { handover: () => Promise.reject(new Error('the daemon is already stopping')) });
    try {
      expect(await request(file, 'handover')).toEqual({ error: 'the daemon is already stopping' });
    } finally {
      await s2.close();
    }
  });
});
