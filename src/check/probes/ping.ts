/**
 * Checker layer, edge: PING_CHECK, one attempt (keepalived check_ping.c): one ICMP echo request (IPv4
 * type 8, IPv6 type 128) carrying keepalived's 128-byte filler; success = the matching echo reply (type
 * 0 / 129, same identifier and sequence, from the target) within connect_timeout, else down. keepalived
 * uses an unprivileged ICMP datagram socket, where the kernel picks the identifier and only passes that
 * socket's replies; Node has none, so this opens a raw socket (raw-socket package, needs CAP_NET_RAW),
 * which sees every ICMP packet of the host: all but our reply are ignored. ICMPv6 checksums are the
 * kernel's; IPv4 ones are ours. Like keepalived, bindto/bind_if are not used.
 */
import { randomInt } from 'node:crypto';
import { createRequire } from 'node:module';
import type { CheckerConnection } from '../../config/model/lvs.js';
import { ipToBytes } from '../../net/ip.js';
import { lateTimer } from '../../util/late-timer.js';
import type { Probe, ProbeOutcome } from '../probe.js';
import { errorText } from '../../util/errors.js';

const require = createRequire(import.meta.url);

interface RawSocket {
  send(buf: Buffer, offset: number, length: number, address: string, before: null, after: (err: Error | null, bytes: number) => void): void;
  on(ev: 'message', cb: (buf: Buffer, addr: string) => void): void;
  on(ev: 'error', cb: (err: Error) => void): void;
  close(): void;
}
interface RawModule {
  createSocket(o: { protocol: number; addressFamily?: number; bufferSize?: number }): RawSocket;
  AddressFamily: { IPv4: number; IPv6: number };
}

/** keepalived's set_buf(): "keepalived check - " repeated over the payload. */
const FILLER = Buffer.from('keepalived check - '.repeat(7).slice(0, 128));
/** Sequence numbers run on across checkers and attempts, as keepalived's. */
let seqNo = 0;

/** RFC 1071 Internet checksum. (pure) */
export function inetChecksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An echo request: v4 with its checksum, v6 with 0 (the kernel fills it in). (pure) */
export function echoRequest(v6: boolean, id: number, seq: number): Buffer {
  const b = Buffer.concat([Buffer.alloc(8), FILLER]);
  b[0] = v6 ? 128 : 8;
  b.writeUInt16BE(id, 4);
  b.writeUInt16BE(seq, 6);
  if (!v6) b.writeUInt16BE(inetChecksum(b), 2);
  return b;
}

/** Whether a received packet (IPv4: with its IP header; IPv6: the ICMPv6 message) is our reply. (pure) */
export function isEchoReply(v6: boolean, pkt: Uint8Array, id: number, seq: number): boolean {
  const off = v6 ? 0 : (pkt[0]! & 0x0f) * 4;
  if (pkt.length < off + 8) return false;
  return pkt[off] === (v6 ? 129 : 0) && ((pkt[off + 4]! << 8) | pkt[off + 5]!) === id && ((pkt[off + 6]! << 8) | pkt[off + 7]!) === seq;
}

const sameIp = (a: string, b: Buffer): boolean => {
  try {
    return b.equals(ipToBytes(a.replace(/%.*$/, '')));
  } catch {
    return false;
  }
};

/** PING_CHECK for one checker: the returned function is one attempt. */
export function pingProber(c: CheckerConnection): Probe {
  const v6 = c.family === 'inet6';
  const where = `[${c.connectIp}]`;
  const ip = c.connectIp.replace(/%.*$/, '');
  const target = ((): Buffer => {
    try {
      return Buffer.from(ipToBytes(ip));
    } catch {
      return Buffer.alloc(0);
    }
  })();
  const id = randomInt(0, 0x10000);
  return (signal) => {
    const t0 = performance.now();
    return new Promise<ProbeOutcome>((resolve) => {
      if (signal.aborted) return resolve({ ok: false, reason: 'aborted', ms: 0 });
      let sock: RawSocket;
      try {
        const raw = require('raw-socket') as RawModule;
        sock = raw.createSocket({ protocol: v6 ? 58 : 1, addressFamily: v6 ? raw.AddressFamily.IPv6 : raw.AddressFamily.IPv4 });
      } catch (e) {
        return resolve({ ok: false, reason: `ICMP connection to ${where} failed: ${errorText(e)}`, ms: performance.now() - t0 });
      }
      const seq = seqNo;
      seqNo = (seqNo + 1) & 0xffff;
      let done = false;
      const finish = (reason?: string) => {
        if (done) return;
        done = true;
        t.cancel();
        signal.removeEventListener('abort', onAbort);
        sock.close();
        const ms = performance.now() - t0;
        resolve(reason === undefined ? { ok: true, ms } : { ok: false, reason, ms });
      };
      const onAbort = () => finish('aborted');
      const t = lateTimer(() => finish(`ICMP connection to address ${where} timeout`), c.connectTimeoutS * 1000);
      signal.addEventListener('abort', onAbort);
      sock.on('error', (e) => finish(`ICMP connection to ${where} failed: ${e.message}`));
      sock.on('message', (pkt, from) => {
        if (isEchoReply(v6, pkt, id, seq) && sameIp(from, target)) finish();
      });
      const req = echoRequest(v6, id, seq);
      sock.send(req, 0, req.length, ip, null, (err) => err && finish(`ICMP connection to ${where} failed: send: ${err.message}`));
    });
  };
}
