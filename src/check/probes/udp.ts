/**
 * Checker layer, edge: UDP_CHECK, one attempt (keepalived check_udp.c): one datagram (payload, else 32
 * filler bytes, as keepalived sends) on a connected socket, then wait up to connect_timeout.
 * Without require_reply: success unless the socket reports an error (an ICMP destination unreachable
 * arrives as ECONNREFUSED / EHOSTUNREACH on a connected socket); the timeout or any reply is success.
 * With require_reply: the first reply decides. As keepalived, only when a reply pattern is given are the
 * length bounds [min_reply_length, max_reply_length] checked and the first min(reply, pattern) bytes
 * compared ('x' digits are wildcard nibbles). udpExchange() is shared with DNS_CHECK. bind_if and fwmark
 * put the exchange on a socket opened by net/sockopt.ts and wrapped by dgram (bind({ fd })).
 */
import * as dgram from 'node:dgram';
import type { CheckerConnection, UdpCheck } from '../../config/model/lvs.js';
import { needsMarks, openMarkedSocket } from '../../net/sockopt.js';
import { lateTimer } from '../../util/late-timer.js';
import type { Probe, ProbeOutcome } from '../probe.js';

export function udpEndpoint(c: CheckerConnection): string {
  return `[${c.connectIp}]:udp:${c.connectPort}`;
}

/** What one exchange makes of an event: true = up, a string = down for that reason, undefined = wait on. */
export interface UdpJudge {
  message(reply: Buffer): true | string | undefined;
  /** A socket error (bind, connect, send or receive; errors are always final). */
  error(code: string, syscall?: string): string;
  timeout(): true | string;
}

/** Sends `payload` on a UDP socket connected as the checker says, and lets `judge` decide; never throws. */
export function udpExchange(c: CheckerConnection, payload: Buffer, judge: UdpJudge, signal: AbortSignal): Promise<ProbeOutcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    if (signal.aborted) return resolve({ ok: false, reason: 'aborted', ms: 0 });
    const s = dgram.createSocket(c.family === 'inet6' ? 'udp6' : 'udp4');
    let done = false;
    const finish = (v: true | string) => {
      if (done) return;
      done = true;
      t.cancel();
      signal.removeEventListener('abort', onAbort);
      try {
        s.close();
      } catch {
        /* never bound: nothing to release */
      }
      const ms = performance.now() - t0;
      resolve(v === true ? { ok: true, ms } : { ok: false, reason: v, ms });
    };
    const onAbort = () => finish('aborted');
    const t = lateTimer(() => finish(judge.timeout()), c.connectTimeoutS * 1000);
    signal.addEventListener('abort', onAbort);
    const onError = (e: NodeJS.ErrnoException) => finish(judge.error(e.code ?? e.message, e.syscall));
    s.on('error', onError);
    s.on('message', (m) => {
      const v = done ? undefined : judge.message(m);
      if (v !== undefined) finish(v);
    });
    // A refused connect (no route, a prohibit rule) comes to the callback as its error.
    const go = () =>
      s.connect(c.connectPort, c.connectIp, (e?: Error) => (e ? onError(e as NodeJS.ErrnoException) : !done && s.send(payload, (e2) => e2 && onError(e2))));
    try {
      if (needsMarks(c)) {
        // bind_if / fwmark: a socket of our own (bound as bindto/bind_port say), wrapped by dgram.
        const m = openMarkedSocket(c.family, 'dgram', c, { ...(c.bindTo ? { address: c.bindTo } : {}), port: c.bindPort });
        if ('error' in m) return finish(judge.error(m.error, 'socket'));
        s.bind({ fd: m.fd }, go);
      } else if (c.bindTo || c.bindPort) s.bind({ port: c.bindPort, ...(c.bindTo ? { address: c.bindTo } : {}) }, go);
      else go();
    } catch (e) {
      onError(e as NodeJS.ErrnoException);
    }
  });
}

export interface ReplyPattern {
  data: Uint8Array;
  /** Bits that are wildcards ('x' digits). */
  mask: Uint8Array;
}

/** The config's reply pattern (two hex digits a byte, 'x' = any nibble) as bytes and wildcard mask. (pure) */
export function parseReplyPattern(hex: string): ReplyPattern {
  const n = hex.length >> 1;
  const data = new Uint8Array(n);
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    for (const [k, shift] of [
      [2 * i, 4],
      [2 * i + 1, 0],
    ] as const) {
      const d = hex[k]!;
      if (d === 'x' || d === 'X') mask[i] |= 0xf << shift;
      else data[i] |= Number.parseInt(d, 16) << shift;
    }
  }
  return { data, mask };
}

/** keepalived's reply test: length within [min, max], then the bytes both have in common match. (pure) */
export function replyMatches(reply: Uint8Array, p: ReplyPattern, min: number, max: number): boolean {
  if (reply.length < min || reply.length > max) return false;
  const n = Math.min(reply.length, p.data.length);
  for (let i = 0; i < n; i++) if ((reply[i]! ^ p.data[i]!) & ~p.mask[i]! & 0xff) return false;
  return true;
}

/** UDP_CHECK for one checker: the returned function is one attempt. */
export function udpProber(c: UdpCheck): Probe {
  const where = udpEndpoint(c.connection);
  // Without a payload keepalived still sends 32 bytes (an empty datagram is dropped by some services).
  const payload = c.payload !== undefined ? Buffer.from(c.payload, 'hex') : Buffer.from('tskeepalived UDP_CHECK probe....'.slice(0, 32));
  const pattern = c.replyPattern !== undefined ? parseReplyPattern(c.replyPattern) : undefined;
  const judge: UdpJudge = {
    message: (m) =>
      !c.requireReply || !pattern || replyMatches(m, pattern, c.minReplyLength, c.maxReplyLength) ? true : `UDP check to ${where} reply data mismatch`,
    error: (code) => `UDP connection to ${where} failed: ${code}`,
    timeout: () => (c.requireReply ? `UDP connection to ${where} failed: no reply (timeout)` : true),
  };
  return (signal) => udpExchange(c.connection, payload, judge, signal);
}
