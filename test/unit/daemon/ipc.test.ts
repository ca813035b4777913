/**
 * Requests between the supervisor and a child (src/daemon/ipc.ts) over two in-memory ports: answers,
 * errors, events, time limits, and a peer that goes away (no caller is left waiting).
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { RpcPeer } from '../../../src/daemon/ipc.js';

/** Two connected ports; messages are delivered on a later tick, cloned, as a channel would. */
function pair() {
  const a = new EventEmitter() as EventEmitter & { send: (m: unknown, cb?: (e: Error | null) => void) => boolean; connected: boolean };
  const b = new EventEmitter() as typeof a;
  a.connected = b.connected = true;
  a.send = (m, cb) => (setImmediate(() => (b.emit('message', structuredClone(m)), cb?.(null))), true);
  b.send = (m, cb) => (setImmediate(() => (a.emit('message', structuredClone(m)), cb?.(null))), true);
  return { a, b };
}

describe('RpcPeer', () => {
  it('answers requests, carries handler errors back, and delivers events', async () => {
    const { a, b } = pair();
    const events: unknown[] = [];
    const parent = new RpcPeer(a, {}, (name, arg) => events.push([name, arg]));
    const child = new RpcPeer(b, { add: (x) => (x as number[]).reduce((s, n) => s + n, 0), fail: async () => Promise.reject(new Error('nope')) });
    expect(await parent.request('add', [1, 2, 4])).toBe(7);
    await expect(parent.request('fail')).rejects.toThrow('nope');
    await expect(parent.request('missing')).rejects.toThrow("unknown request 'missing'");
    child.emit('hello', { big: 10n });
    await new Promise((r) => setTimeout(r, 10));
    expect(events).toEqual([['hello', { big: 10n }]]);
  });

  it('a request without an answer fails after its time limit; close() fails the ones in flight and any later one', async () => {
    const { a, b } = pair();
    const parent = new RpcPeer(a);
    new RpcPeer(b, { slow: () => new Promise(() => undefined) });
    await expect(parent.request('slow', undefined, 50)).rejects.toThrow("no answer to 'slow' within 0.05 s");
    const pending = parent.request('slow', undefined, 10_000);
    parent.close('VRRP child process exited');
    await expect(pending).rejects.toThrow('VRRP child process exited');
    await expect(parent.request('slow')).rejects.toThrow('VRRP child process exited');
  });

  it('a disconnected port fails the request at once', async () => {
    const { a } = pair();
    a.connected = false;
    await expect(new RpcPeer(a).request('x')).rejects.toThrow("cannot send 'x': channel closed");
  });
});
