/**
 * Checker layer, edge: TCP_CHECK, one attempt. Success = the TCP handshake completes within
 * connect_timeout (keepalived check_tcp.c); the connection is then closed. bindto/bind_port are honoured;
 * bind_if and fwmark (SO_BINDTODEVICE / SO_MARK, which Node cannot set) put the attempt on a socket opened
 * by net/sockopt.ts and handed to Node before the connect, as keepalived sets them on its own sockets.
 *
 * TCP_CHECK runs on the native engine (tcp-engine.ts) when it is built: the handshake in C, results in
 * batches, no promise per check. Otherwise it opens a bare libuv TCP handle (Node's tcp_wrap binding)
 * instead of a net.Socket: a check needs no stream, and the socket's stream machinery doubled the CPU of a
 * check (101 vs 46 us a connection on loopback, measured). Where that binding is missing too (a future
 * Node), net.connect is used.
 */
import * as net from 'node:net';
import { getSystemErrorName } from 'node:util';
import type { CheckerConnection } from '../../config/model/lvs.js';
import { closeFd, markedNetSocket, needsMarks, openMarkedSocket } from '../../net/sockopt.js';
import { lateTimer } from '../../util/late-timer.js';
import type { Probe, ProbeOutcome } from '../probe.js';
import { attemptFailure, nativeTcpEngine, type NativeTcpEngine } from './tcp-engine.js';

export function endpoint(c: CheckerConnection): string {
  return `[${c.connectIp}]:tcp:${c.connectPort}`;
}

/** Socket options for a checker's connection settings (computed once per checker, not per attempt). */
export function connectOptions(c: CheckerConnection): net.TcpNetConnectOpts {
  const opts: net.TcpNetConnectOpts = { host: c.connectIp, port: c.connectPort, family: c.family === 'inet6' ? 6 : 4 };
  if (c.bindTo) opts.localAddress = c.bindTo;
  if (c.bindPort) opts.localPort = c.bindPort;
  return opts;
}

/** Opens a TCP connection as the checker's connection settings say; resolves with the socket or the error. */
export function connect(c: CheckerConnection, signal: AbortSignal, opts: net.TcpNetConnectOpts = connectOptions(c)): Promise<{ socket?: net.Socket; error?: string }> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve({ error: 'aborted' });
    let s: net.Socket;
    if (needsMarks(c)) {
      const m = markedNetSocket(c.family, c);
      if ('error' in m) return resolve(m);
      s = m.connect(opts);
    } else s = net.connect(opts);
    let done = false;
    const finish = (r: { socket?: net.Socket; error?: string }) => {
      if (done) return;
      done = true;
      t.cancel();
      signal.removeEventListener('abort', onAbort);
      s.removeListener('error', onError);
      if (r.error) s.destroy();
      resolve(r);
    };
    const onAbort = () => finish({ error: 'aborted' });
    const onError = (e: NodeJS.ErrnoException) => finish({ error: e.code ?? e.message });
    const t = lateTimer(() => finish({ error: 'timeout' }), c.connectTimeoutS * 1000);
    signal.addEventListener('abort', onAbort);
    s.once('connect', () => finish({ socket: s }));
    s.once('error', onError);
  });
}

interface TcpHandle {
  open(fd: number): number;
  bind(addr: string, port: number): number;
  bind6(addr: string, port: number, flags: number): number;
  connect(req: object, addr: string, port: number): number;
  connect6(req: object, addr: string, port: number): number;
  close(cb?: () => void): void;
}
interface TcpWrapBinding {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => { oncomplete?: (status: number) => void };
  constants: { SOCKET: number };
}

let tcpWrap: TcpWrapBinding | null | undefined;
function binding(): TcpWrapBinding | null {
  if (tcpWrap !== undefined) return tcpWrap;
  try {
    const b = (process as unknown as { binding(n: string): TcpWrapBinding }).binding('tcp_wrap');
    tcpWrap = typeof b?.TCP === 'function' && typeof b.TCPConnectWrap === 'function' ? b : null;
  } catch {
    tcpWrap = null;
  }
  return tcpWrap;
}

/**
 * Attempts in flight per abort signal: one 'abort' listener per signal ends them all, instead of an
 * EventTarget listener added and removed on every attempt (measurable at 10,000 checks a second).
 */
const inFlight = new WeakMap<AbortSignal, Set<(why: string) => void>>();
function track(signal: AbortSignal, end: (why: string) => void): Set<(why: string) => void> {
  let set = inFlight.get(signal);
  if (!set) {
    const fresh = new Set<(why: string) => void>();
    inFlight.set(signal, fresh);
    signal.addEventListener('abort', () => { for (const f of [...fresh]) f('aborted'); }, { once: true });
    set = fresh;
  }
  set.add(end);
  return set;
}

/** One handshake on a bare handle, closed right after (FIN); resolves with undefined or the error name. */
function handshake(b: TcpWrapBinding, c: CheckerConnection, signal: AbortSignal): Promise<string | undefined> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve('aborted');
    const h = new b.TCP(b.constants.SOCKET);
    const req = new b.TCPConnectWrap();
    let done = false;
    const finish = (error: string | undefined) => {
      if (done) return;
      done = true;
      t.cancel();
      set.delete(finish);
      h.close();
      resolve(error);
    };
    const t = lateTimer(() => finish('timeout'), c.connectTimeoutS * 1000);
    const set = track(signal, finish);
    req.oncomplete = (status: number) => finish(status === 0 ? undefined : getSystemErrorName(status));
    const v6 = c.family === 'inet6';
    let err = 0;
    if (needsMarks(c)) {
      const m = openMarkedSocket(c.family, 'stream', c);
      if ('error' in m) return finish(m.error);
      err = h.open(m.fd);
      if (err) closeFd(m.fd);
    }
    if (!err && (c.bindTo || c.bindPort)) err = v6 ? h.bind6(c.bindTo ?? '::', c.bindPort, 0) : h.bind(c.bindTo ?? '0.0.0.0', c.bindPort);
    if (!err) err = v6 ? h.connect6(req, c.connectIp, c.connectPort) : h.connect(req, c.connectIp, c.connectPort);
    if (err) finish(getSystemErrorName(err));
  });
}

/** TCP_CHECK on the native engine: one slot for this checker, an attempt is a call and a callback. */
function nativeProber(engine: NativeTcpEngine, c: CheckerConnection): Probe | undefined {
  let slot: number;
  try {
    slot = engine.target(c);
  } catch {
    return undefined; // an address the engine does not take (a zone index...): Node's handles do
  }
  const where = endpoint(c);
  const outcome = (errno: number, us: number): ProbeOutcome => (errno === 0 ? { ok: true, ms: us / 1000 } : { ok: false, reason: `TCP connection to ${where} failed: ${attemptFailure(errno, c)}`, ms: us / 1000 });
  const probe: Probe = (signal) => new Promise((resolve) => engine.start(slot, signal, (errno, us) => resolve(outcome(errno, us))));
  let onResult: ((o: ProbeOutcome) => void) | undefined;
  const handler = (errno: number, us: number) => onResult?.(outcome(errno, us));
  probe.native = {
    arm: (ms, routineMs, done) => {
      onResult = done;
      engine.schedule(slot, ms, routineMs, handler);
    },
    stats: () => {
      const s = engine.stats(slot);
      return { routine: s.routine, lastMs: s.lastUs / 1000 };
    },
  };
  let released = false;
  probe.release = () => {
    if (!released) engine.release(slot);
    released = true;
  };
  return probe;
}

/** TCP_CHECK for one checker: the returned function is one attempt. `native: false` = Node's handles. */
export function tcpProber(c: CheckerConnection, native = true): Probe {
  const engine = native ? nativeTcpEngine() : undefined;
  const fast = engine && nativeProber(engine, c);
  if (fast) return fast;
  const opts = connectOptions(c);
  const where = endpoint(c);
  const b = binding();
  return async (signal) => {
    const t0 = performance.now();
    let error: string | undefined;
    if (b) error = await handshake(b, c, signal);
    else {
      const r = await connect(c, signal, opts);
      // A normal close (FIN), as keepalived: a reset would make some servers log an error per check.
      r.socket?.destroy();
      error = r.error;
    }
    const ms = performance.now() - t0;
    return error === undefined ? { ok: true, ms } : { ok: false, reason: `TCP connection to ${where} failed: ${error}`, ms };
  };
}

/** One attempt outside the checker subsystem (tests, tools). */
export async function tcpProbe(c: CheckerConnection, signal: AbortSignal, native = true): Promise<ProbeOutcome> {
  const p = tcpProber(c, native);
  try {
    return await p(signal);
  } finally {
    p.release?.();
  }
}
