/**
 * The native TCP check engine (native/tcp_engine.c through src/check/probes/tcp-engine.ts) against real
 * listeners on loopback: it is built by `npm run build` (the test command builds first), one-shot attempts
 * end in the right errno, a scheduled slot repeats its successes in C without calling back and at its
 * interval without drift, any other outcome calls back once and waits to be armed again, and released
 * slots are reused. Timeouts, aborts and socket options are tested in a network namespace
 * (check-marks.test.ts); the subsystem on top in check-subsystem.test.ts.
 */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckerConnection } from '../../src/config/model/lvs.js';
import { nativeTcpEngine, nativeTcpEngineError, type NativeTcpEngine } from '../../src/check/probes/tcp-engine.js';

const conn = (port: number, timeoutS = 1): CheckerConnection => ({
  connectIp: '127.0.0.1',
  family: 'inet',
  connectPort: port,
  bindPort: 0,
  connectTimeoutS: timeoutS,
  fwmark: 0,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const never = new AbortController().signal;
const GAP_MS = 100;

let accepts = 0;
const server = net.createServer((c) => {
  accepts++;
  c.destroy();
});
let port = 0;
let closedPort = 0;
let engine: NativeTcpEngine;

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  closedPort = (closed.address() as net.AddressInfo).port;
  closed.close();
  const e = nativeTcpEngine();
  if (!e) throw new Error(`the native TCP engine did not load (${nativeTcpEngineError()}): npm run build builds it with the C compiler`);
  engine = e;
});
afterAll(() => server.close());

const attempt = (slot: number) => new Promise<[number, number]>((resolve) => engine.start(slot, never, (errno, us) => resolve([errno, us])));

describe('native TCP check engine', () => {
  it('one attempt: 0 against a listener, ECONNREFUSED against a closed port, IPv6 too', async () => {
    const up = engine.target(conn(port));
    const down = engine.target(conn(closedPort));
    const [ok, us] = await attempt(up);
    expect(ok).toBe(0);
    expect(us).toBeGreaterThan(0);
    expect(us).toBeLessThan(1_000_000);
    expect((await attempt(down))[0]).toBe(111);
    const v6 = engine.target({ ...conn(port), connectIp: '::1', family: 'inet6' });
    // The listener is IPv4 only: ::1 refuses, which shows the IPv6 address was used.
    expect((await attempt(v6))[0]).toBe(111);
    for (const s of [up, down, v6]) engine.release(s);
  });

  it('a routine slot repeats its successes in C at its interval, without calling back', async () => {
    const slot = engine.target(conn(port));
    const calls: number[] = [];
    const before = accepts;
    engine.schedule(slot, 0, 100, (errno) => calls.push(errno));
    await sleep(1050);
    const got = accepts - before;
    // 100 ms interval over ~1 s: 10 or 11 checks (served in 10 ms ticks, no drift).
    expect(got).toBeGreaterThanOrEqual(10);
    expect(got).toBeLessThanOrEqual(12);
    expect(calls).toEqual([]);
    const s = engine.stats(slot);
    expect(s.routine).toBeGreaterThanOrEqual(got - 1);
    expect(s.routine).toBeLessThanOrEqual(got);
    expect(s.lastUs).toBeGreaterThan(0);
    engine.release(slot);
    const after = accepts;
    await sleep(300);
    expect(accepts).toBe(after); // released: its schedule is gone
  });

  it('any other outcome calls back once and waits to be armed again; routine 0 reports every result', async () => {
    const slot = engine.target(conn(closedPort));
    const calls: number[] = [];
    engine.schedule(slot, 0, 50, (errno) => calls.push(errno));
    await sleep(400);
    expect(calls).toEqual([111]);
    const ok = engine.target(conn(port));
    const seen: number[] = [];
    engine.schedule(ok, 0, 0, (errno) => {
      seen.push(errno);
      if (seen.length < 3) engine.schedule(ok, 20, 0, (e) => seen.push(e));
    });
    await sleep(300);
    expect(seen).toEqual([0, 0]);
    engine.release(slot);
    engine.release(ok);
  });

  it('released slots are reused, and an aborted signal ends the attempt at once', async () => {
    const a = engine.target(conn(port));
    engine.release(a);
    const b = engine.target(conn(closedPort));
    expect(b).toBe(a);
    expect((await attempt(b))[0]).toBe(111);
    const ac = new AbortController();
    ac.abort();
    const r = await new Promise<number>((resolve) => engine.start(b, ac.signal, (errno) => resolve(errno)));
    expect(r).toBe(125); // ECANCELED: the probe says "aborted"
    engine.release(b);
  });

  it('12,000 checks due at once: started at most 256 a loop turn, so the loop keeps turning', async () => {
    const n = 12_000;
    const slots = Array.from({ length: n }, () => engine.target(conn(closedPort)));
    let results = 0;
    let maxGap = 0;
    let last = performance.now();
    const tick = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 1);
    for (const s of slots) engine.schedule(s, 5, 0, () => results++);
    last = performance.now();
    const t0 = performance.now();
    while (results < n && performance.now() - t0 < 10_000) await sleep(5);
    clearInterval(tick);
    for (const s of slots) engine.release(s);
    expect(results).toBe(n);
    // At most 256 connects a turn: the 1 ms interval keeps running between batches (all in one turn
    // took 410 ms here, batched 13 ms).
    expect(maxGap).toBeLessThan(GAP_MS);
  });

  it('addresses the engine cannot parse throw, and nothing is left registered for them', () => {
    const n = engine.target(conn(port));
    engine.release(n);
    expect(() => engine.target({ ...conn(port), connectIp: 'fe80::1%eth0', family: 'inet6' })).toThrow(/bad address/);
    expect(engine.target(conn(port))).toBe(n);
    engine.release(n);
  });

  it('a schedule the engine cannot hold (allocation failure) fails the check with ENOMEM, and the slot runs again once armed', async () => {
    const slot = engine.target(conn(port));
    const results: Array<[number, number]> = [];
    const onResult = (errno: number) => results.push([errno, performance.now()]);
    engine.limitSchedule(0); // as if the heap could not grow
    const t0 = performance.now();
    engine.schedule(slot, 10, 0, onResult);
    while (results.length === 0 && performance.now() - t0 < 5000) await sleep(20);
    expect(results.map((r) => r[0])).toEqual([12]); // ENOMEM, reported once...
    expect(results[0]![1] - t0).toBeGreaterThanOrEqual(990); // ...no sooner than a second on (no busy retry)
    engine.limitSchedule(-1);
    engine.schedule(slot, 10, 0, onResult);
    while (results.length < 2 && performance.now() - t0 < 8000) await sleep(20);
    expect(results.map((r) => r[0])).toEqual([12, 0]); // memory back: the next attempt runs and succeeds
    // A routine slot whose next due time cannot be held hands its success to JavaScript instead.
    const calls: number[] = [];
    engine.schedule(slot, 10, 50, (errno) => calls.push(errno));
    await sleep(200);
    expect(calls).toEqual([]); // routine successes stay in C
    engine.limitSchedule(0);
    const t1 = performance.now();
    while (calls.length === 0 && performance.now() - t1 < 3000) await sleep(10);
    engine.limitSchedule(-1);
    expect(calls[0]).toBe(0);
    engine.release(slot);
  });
});
