/**
 * Checker layer, edge: DNS_CHECK, one attempt (keepalived check_dns.c): one UDP query (random id,
 * recursion desired, class IN, the configured type and name; '' is the root) to the target, bounded by
 * connect_timeout. Replies shorter than a header, with another id, or without QR are ignored (wait on);
 * the first real answer decides: RCODE 0 is success, whatever ANCOUNT says (as keepalived, which never
 * looks at the answer count), any other RCODE is a failure. The codec below is pure and unit-tested.
 */
import { randomInt } from 'node:crypto';
import type { DnsCheck, DnsType } from '../../config/model/lvs.js';
import type { Probe } from '../probe.js';
import { udpEndpoint, udpExchange } from './udp.js';
import { errorText } from '../../util/errors.js';

export const DNS_TYPE_CODE: Record<DnsType, number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28, RRSIG: 46, DNSKEY: 48 };
const HEADER = 12;
const FLAG_QR = 0x8000;
const FLAG_RD = 0x0100;

/** A name in wire form: length-prefixed labels ending with the root; '' and '.' are the root. (pure) */
export function encodeDnsName(name: string): Buffer {
  const labels = name === '' || name === '.' ? [] : name.replace(/\.$/, '').split('.');
  const parts: Buffer[] = [];
  for (const l of labels) {
    const b = Buffer.from(l, 'utf8');
    if (b.length < 1 || b.length > 63) throw new RangeError(`DNS label '${l}' must be 1 to 63 bytes`);
    parts.push(Buffer.of(b.length), b);
  }
  const out = Buffer.concat([...parts, Buffer.of(0)]);
  if (out.length > 255) throw new RangeError(`DNS name '${name}' is longer than 255 bytes`);
  return out;
}

/** A standard query: header (id, RD, QDCOUNT 1) and one question of class IN. (pure) */
export function encodeDnsQuery(id: number, name: string, type: DnsType | number): Buffer {
  const qname = encodeDnsName(name);
  const b = Buffer.alloc(HEADER + qname.length + 4);
  b.writeUInt16BE(id & 0xffff, 0);
  b.writeUInt16BE(FLAG_RD, 2);
  b.writeUInt16BE(1, 4);
  qname.copy(b, HEADER);
  b.writeUInt16BE(typeof type === 'number' ? type : DNS_TYPE_CODE[type], HEADER + qname.length);
  b.writeUInt16BE(1, HEADER + qname.length + 2);
  return b;
}

export interface DnsHeader {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  rcode: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

/** The fixed header of a message; undefined when shorter than 12 bytes. (pure) */
export function decodeDnsHeader(b: Uint8Array): DnsHeader | undefined {
  if (b.length < HEADER) return undefined;
  const v = Buffer.from(b.buffer, b.byteOffset, b.length);
  const f = v.readUInt16BE(2);
  const flag = (bit: number) => (f & bit) !== 0;
  return {
    id: v.readUInt16BE(0),
    qr: flag(FLAG_QR),
    opcode: (f >> 11) & 0xf,
    aa: flag(0x0400),
    tc: flag(0x0200),
    rd: flag(FLAG_RD),
    ra: flag(0x0080),
    rcode: f & 0xf,
    qdcount: v.readUInt16BE(4),
    ancount: v.readUInt16BE(6),
    nscount: v.readUInt16BE(8),
    arcount: v.readUInt16BE(10),
  };
}

/** The first question (uncompressed name, as queries carry it); undefined when malformed. (pure) */
export function decodeDnsQuestion(b: Uint8Array, offset = HEADER): { name: string; type: number; qclass: number; end: number } | undefined {
  const labels: string[] = [];
  let i = offset;
  for (;;) {
    const n = b[i];
    if (n === undefined || n > 63) return undefined;
    i++;
    if (n === 0) break;
    if (i + n > b.length) return undefined;
    labels.push(Buffer.from(b.subarray(i, i + n)).toString('utf8'));
    i += n;
  }
  if (i + 4 > b.length) return undefined;
  return { name: labels.join('.'), type: (b[i]! << 8) | b[i + 1]!, qclass: (b[i + 2]! << 8) | b[i + 3]!, end: i + 4 };
}

/** What a datagram means for query `id`: undefined = not its answer (wait on), else the answer's RCODE. (pure) */
export function dnsReplyRcode(id: number, reply: Uint8Array): number | undefined {
  const h = decodeDnsHeader(reply);
  return h && h.id === id && h.qr ? h.rcode : undefined;
}

/** DNS_CHECK for one checker: the returned function is one attempt. */
export function dnsProber(c: DnsCheck): Probe {
  const who = `DNS_CHECK (${udpEndpoint(c.connection)})`;
  try {
    encodeDnsName(c.name);
  } catch (e) {
    return async () => ({ ok: false, reason: `${who} ${errorText(e)}`, ms: 0 });
  }
  return (signal) => {
    const id = randomInt(0, 0x10000);
    return udpExchange(
      c.connection,
      encodeDnsQuery(id, c.name, c.dnsType),
      {
        message: (m) => {
          const rcode = dnsReplyRcode(id, m);
          return rcode === undefined ? undefined : rcode === 0 ? true : `${who} read error occurred. (rcode = ${rcode})`;
        },
        error: (code, syscall) =>
          `${who} ${syscall === 'recvmsg' ? 'failed to read socket' : syscall === 'send' ? 'failed to write socket' : 'connection error'}: ${code}`,
        timeout: () => `${who} read timeout from socket`,
      },
      signal,
    );
  };
}
