/**
 * Checker layer, edge: TCP_CHECK, one attempt. Success = the TCP handshake completes within
 * connect_timeout (keepalived check_tcp.c); the connection is then closed. bindto/bind_port are honoured;
 * bind_if and fwmark (SO_BINDTODEVICE / SO_MARK, which Node cannot set) put the attempt on a socket opened
 * by net/sockopt.ts and handed to Node before the connect, as keepalived sets them on its own sockets.
 *
 * TCP_CHECK runs on the native engine (tcp-engine.ts) when it is built: the handshake in C, results in
 * batches, no promise per check. Otherwise (no C compiler at build time, TSKEEPALIVED_NATIVE=0) each
 * attempt is a net.connect closed once connected. A bare handle from Node's internal tcp_wrap binding
 * would spare the socket's stream machinery (about 60 against 105 us of CPU a check on loopback, measured),
 * but process.binding is deprecated (DEP0111) and what it returns is outside Node's semver; the fallback is
 * the path least run, so it keeps to public APIs and the engine is the fast path.
 */
import * as net from 'node:net';
import type { CheckerConnection } from '../../config/model/lvs.js';
import { markedNetSocket, needsMarks } from '../../net/sockopt.js';
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
export function connect(
  c: CheckerConnection,
  signal: AbortSignal,
  opts: net.TcpNetConnectOpts = connectOptions(c),
): Promise<{ socket?: net.Socket; error?: string }> {
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

/** TCP_CHECK on the native engine: one slot for this checker, an attempt is a call and a callback. */
function nativeProber(engine: NativeTcpEngine, c: CheckerConnection): Probe | undefined {
  let slot: number;
  try {
    slot = engine.target(c);
  } catch {
    return undefined; // an address the engine does not take (a zone index...): Node's handles do
  }
  const where = endpoint(c);
  const outcome = (errno: number, us: number): ProbeOutcome =>
    errno === 0 ? { ok: true, ms: us / 1000 } : { ok: false, reason: `TCP connection to ${where} failed: ${attemptFailure(errno, c)}`, ms: us / 1000 };
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
  return async (signal) => {
    const t0 = performance.now();
    const r = await connect(c, signal, opts);
    // A normal close (FIN), as keepalived: a reset would make some servers log an error per check.
    r.socket?.destroy();
    const error = r.error;
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
