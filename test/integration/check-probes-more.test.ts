/**
 * SMTP_CHECK, DNS_CHECK, UDP_CHECK and PING_CHECK against real peers on loopback: a tiny SMTP responder
 * (good, 554 greeting, HELO refused, silent), a tiny DNS responder (answer, NXDOMAIN, empty NOERROR,
 * foreign id, silent), a UDP echo (reply pattern, lengths, closed port), ping of 127.0.0.1 and ::1 (needs
 * root). Each down case is bounded by connect_timeout, and each probe aborted resolves at once.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckerConnection, DnsCheck, SmtpCheck, UdpCheck } from '../../src/config/model/lvs.js';
import { decodeDnsQuestion, dnsProber } from '../../src/check/probes/dns.js';
import { createProbe } from '../../src/check/probes/index.js';
import { pingProber } from '../../src/check/probes/ping.js';
import { smtpProber } from '../../src/check/probes/smtp.js';
import { udpProber } from '../../src/check/probes/udp.js';
import type { Probe } from '../../src/check/probe.js';

const loc = { file: 't', line: 1 } as never;
const timing = { alpha: false, retry: 0, delayBeforeRetryS: 1, warmupS: 0, delayLoopS: 1, logAllFailures: false };
const conn = (port: number, timeoutS = 1, ip = '127.0.0.1'): CheckerConnection => ({
  connectIp: ip,
  family: ip.includes(':') ? 'inet6' : 'inet',
  connectPort: port,
  bindPort: 0,
  connectTimeoutS: timeoutS,
  fwmark: 0,
});
const never = new AbortController().signal;

/** Runs `probe` and aborts it after 50 ms: it must resolve at once with ok false. */
async function abortedQuickly(probe: Probe): Promise<void> {
  const ac = new AbortController();
  const t0 = Date.now();
  setTimeout(() => ac.abort(), 50);
  const r = await probe(ac.signal);
  expect(r).toMatchObject({ ok: false, reason: 'aborted' });
  expect(Date.now() - t0).toBeLessThan(300);
  const pre = new AbortController();
  pre.abort();
  expect(await probe(pre.signal)).toMatchObject({ ok: false, reason: 'aborted' });
}

/** A TCP port nothing listens on. */
async function closedTcpPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A UDP port nothing listens on. */
async function closedUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(r));
  return port;
}

// ---- SMTP ----------------------------------------------------------------------------------------

type SmtpMode = 'good' | '554' | 'helo-refused' | 'silent' | 'multiline' | 'no-quit-reply';
const helos: string[] = [];
const smtpServers = new Map<SmtpMode, net.Server>();
const smtpPort = (m: SmtpMode) => (smtpServers.get(m)!.address() as net.AddressInfo).port;
function smtpServer(mode: SmtpMode): net.Server {
  return net.createServer((s) => {
    s.on('error', () => {});
    if (mode === 'silent') return;
    if (mode === '554') return void s.end('554 no service here\r\n');
    s.write(mode === 'multiline' ? '220-mx.example.com ESMTP\r\n220 ready\r\n' : '220 mx.example.com ESMTP\r\n');
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (line.startsWith('HELO ')) {
          helos.push(line.slice(5));
          s.write(mode === 'helo-refused' ? '501 go away\r\n' : '250 mx.example.com\r\n');
        } else if (line === 'QUIT') {
          if (mode === 'no-quit-reply') s.destroy();
          else s.end('221 bye\r\n');
        }
      }
    });
  });
}
const smtp = (port: number, timeoutS = 1): SmtpCheck => ({
  type: 'SMTP_CHECK',
  loc,
  ...timing,
  connection: conn(port, timeoutS),
  heloName: 'checker.example.org',
});

// ---- DNS -----------------------------------------------------------------------------------------

type DnsMode = 'answer' | 'nxdomain' | 'empty' | 'foreign-id' | 'silent';
let dnsMode: DnsMode = 'answer';
const questions: Array<{ name: string; type: number; rd: boolean }> = [];
const dnsServer = dgram.createSocket('udp4');
dnsServer.on('message', (q, from) => {
  const dq = decodeDnsQuestion(q);
  if (!dq) return;
  questions.push({ name: dq.name, type: dq.type, rd: (q[2]! & 0x01) !== 0 });
  if (dnsMode === 'silent') return;
  const hdr = Buffer.from(q.subarray(0, dq.end));
  hdr[2] = 0x81; // QR, RD
  hdr[3] = 0x80 | (dnsMode === 'nxdomain' ? 3 : 0); // RA, RCODE
  const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7]);
  if (dnsMode === 'answer') hdr.writeUInt16BE(1, 6);
  if (dnsMode === 'foreign-id') hdr.writeUInt16BE((hdr.readUInt16BE(0) + 1) & 0xffff, 0);
  const reply = dnsMode === 'answer' ? Buffer.concat([hdr, answer]) : hdr;
  // A runt and a copy of the query (no QR) first: both are ignored, as keepalived does.
  dnsServer.send(Buffer.alloc(5), from.port, from.address);
  dnsServer.send(q, from.port, from.address);
  dnsServer.send(reply, from.port, from.address);
});
const dns = (timeoutS = 1, over: Partial<DnsCheck> = {}): DnsCheck => ({
  type: 'DNS_CHECK',
  loc,
  ...timing,
  connection: conn(dnsServer.address().port, timeoutS),
  dnsType: 'A',
  name: 'www.example.com',
  ...over,
});

// ---- UDP echo ------------------------------------------------------------------------------------

const seenPayloads: Buffer[] = [];
let echoSilent = false;
const echo = dgram.createSocket('udp4');
echo.on('message', (m, from) => {
  seenPayloads.push(m);
  if (!echoSilent) echo.send(m, from.port, from.address);
});
const udp = (port: number, over: Partial<UdpCheck> = {}, timeoutS = 1): UdpCheck => ({
  type: 'UDP_CHECK',
  loc,
  ...timing,
  connection: conn(port, timeoutS),
  requireReply: false,
  minReplyLength: 0,
  maxReplyLength: 255,
  ...over,
});

beforeAll(async () => {
  for (const m of ['good', '554', 'helo-refused', 'silent', 'multiline', 'no-quit-reply'] as const) {
    const s = smtpServer(m);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    smtpServers.set(m, s);
  }
  await new Promise<void>((r) => dnsServer.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => echo.bind(0, '127.0.0.1', r));
});
afterAll(() => {
  for (const s of smtpServers.values()) s.close();
  dnsServer.close();
  echo.close();
});

describe('SMTP_CHECK probe', () => {
  it('up against a good server: 220, HELO <helo_name>, 250, QUIT, reply', async () => {
    const r = await smtpProber(smtp(smtpPort('good')))(never);
    expect(r.ok).toBe(true);
    expect(helos.at(-1)).toBe('checker.example.org');
  });
  it('down on a 554 greeting, a refused HELO, a multi-line greeting, no reply to QUIT', async () => {
    const p554 = smtpPort('554');
    expect(await smtpProber(smtp(p554))(never)).toMatchObject({ ok: false, reason: `SMTP_CHECK Bad greeting banner from server [127.0.0.1]:tcp:${p554}` });
    const ph = smtpPort('helo-refused');
    expect(await smtpProber(smtp(ph))(never)).toMatchObject({ ok: false, reason: `SMTP_CHECK Bad HELO response from server [127.0.0.1]:tcp:${ph}` });
    expect((await smtpProber(smtp(smtpPort('multiline')))(never)).reason).toMatch(/Bad greeting banner/);
    expect((await smtpProber(smtp(smtpPort('no-quit-reply')))(never)).reason).toMatch(/Read failure/);
  });
  it('a server that never answers: down within connect_timeout; a closed port: down at once', async () => {
    const t0 = Date.now();
    const r = await smtpProber(smtp(smtpPort('silent'), 0.5))(never);
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/^SMTP_CHECK Read timeout from server/) });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
    expect(Date.now() - t0).toBeLessThan(1000);
    const closed = await closedTcpPort();
    expect((await smtpProber(smtp(closed))(never)).reason).toMatch(/^SMTP_CHECK Error connecting to server .*ECONNREFUSED/);
  });
  it('aborted: resolves at once', async () => {
    await abortedQuickly(smtpProber(smtp(smtpPort('silent'), 5)));
  });
});

describe('DNS_CHECK probe', () => {
  it('up on an answer; the query carries the id, RD, the name and the type', async () => {
    dnsMode = 'answer';
    expect((await dnsProber(dns())(never)).ok).toBe(true);
    expect(questions.at(-1)).toEqual({ name: 'www.example.com', type: 1, rd: true });
    expect((await dnsProber(dns(1, { dnsType: 'SOA', name: '' }))(never)).ok).toBe(true);
    expect(questions.at(-1)).toEqual({ name: '', type: 6, rd: true });
  });
  it('NXDOMAIN: down with the rcode; NOERROR without answers: up, as keepalived (it never reads ANCOUNT)', async () => {
    dnsMode = 'nxdomain';
    expect(await dnsProber(dns())(never)).toMatchObject({
      ok: false,
      reason: `DNS_CHECK ([127.0.0.1]:udp:${dnsServer.address().port}) read error occurred. (rcode = 3)`,
    });
    dnsMode = 'empty';
    expect((await dnsProber(dns())(never)).ok).toBe(true);
  });
  it('silent or only foreign ids: down within connect_timeout; closed port: down at once', async () => {
    for (const m of ['silent', 'foreign-id'] as const) {
      dnsMode = m;
      const t0 = Date.now();
      const r = await dnsProber(dns(0.5))(never);
      expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/read timeout from socket$/) });
      expect(Date.now() - t0).toBeLessThan(1000);
    }
    const port = await closedUdpPort();
    const r = await dnsProber({ ...dns(), connection: conn(port) })(never);
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/failed to read socket: ECONNREFUSED/) });
  });
  it('aborted: resolves at once', async () => {
    dnsMode = 'silent';
    await abortedQuickly(dnsProber(dns(5)));
  });
});

describe('UDP_CHECK probe', () => {
  const port = () => echo.address().port;
  it('require_reply: up on a matching echo (x wildcards), down on a mismatch or a length out of bounds', async () => {
    echoSilent = false;
    expect((await udpProber(udp(port(), { payload: 'cafe0102', requireReply: true, replyPattern: 'cxfe' }))(never)).ok).toBe(true);
    expect(seenPayloads.at(-1)).toEqual(Buffer.from('cafe0102', 'hex'));
    expect(await udpProber(udp(port(), { payload: 'cafe0102', requireReply: true, replyPattern: 'cafd' }))(never)).toMatchObject({
      ok: false,
      reason: `UDP check to [127.0.0.1]:udp:${port()} reply data mismatch`,
    });
    expect((await udpProber(udp(port(), { payload: 'cafe0102', requireReply: true, replyPattern: 'ca', maxReplyLength: 3 }))(never)).ok).toBe(false);
    expect((await udpProber(udp(port(), { payload: 'cafe0102', requireReply: true, replyPattern: 'ca', minReplyLength: 5 }))(never)).ok).toBe(false);
    // As keepalived: without a reply pattern the lengths are not checked, any reply will do.
    expect((await udpProber(udp(port(), { payload: 'cafe0102', requireReply: true, maxReplyLength: 1 }))(never)).ok).toBe(true);
  });
  it('no payload sends 32 filler bytes (as keepalived); without require_reply a silent peer is up after connect_timeout', async () => {
    echoSilent = true;
    const t0 = Date.now();
    expect((await udpProber(udp(port(), {}, 0.3))(never)).ok).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(seenPayloads.at(-1)?.length).toBe(32);
    const r = await udpProber(udp(port(), { requireReply: true }, 0.3))(never);
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/timeout/) });
    expect(Date.now() - t0).toBeLessThan(1500);
  });
  it('a closed port (ICMP port unreachable): down, with or without require_reply', async () => {
    const closed = await closedUdpPort();
    for (const requireReply of [false, true]) {
      const t0 = Date.now();
      const r = await udpProber(udp(closed, { requireReply }, 2))(never);
      expect(r).toMatchObject({ ok: false, reason: `UDP connection to [127.0.0.1]:udp:${closed} failed: ECONNREFUSED` });
      expect(Date.now() - t0).toBeLessThan(500);
    }
  });
  it('aborted: resolves at once, and releases its sockets', async () => {
    echoSilent = true;
    const before = process.getActiveResourcesInfo().filter((x) => x === 'UDPWrap').length;
    await abortedQuickly(udpProber(udp(port(), { requireReply: true }, 5)));
    await new Promise((r) => setTimeout(r, 20));
    expect(process.getActiveResourcesInfo().filter((x) => x === 'UDPWrap').length).toBeLessThanOrEqual(before);
  });
});

describe('PING_CHECK probe (raw socket: root)', () => {
  it('127.0.0.1 and ::1 answer', async () => {
    const r4 = await pingProber(conn(0))(never);
    expect(r4).toMatchObject({ ok: true });
    expect(r4.ms).toBeLessThan(1000);
    expect((await pingProber(conn(0, 1, '::1'))(never)).ok).toBe(true);
    // Back to back, several at once: each takes only its own reply.
    const many = await Promise.all([0, 1, 2, 3].map(() => pingProber(conn(0))(never)));
    expect(many.every((x) => x.ok)).toBe(true);
  });
  it('no answer (TEST-NET-3, unrouted or dropped; ICMP errors are ignored, as keepalived): down within connect_timeout', async () => {
    const t0 = Date.now();
    const r = await pingProber(conn(0, 0.5, '203.0.113.9'))(never);
    expect(r.ok).toBe(false);
    expect(Date.now() - t0).toBeLessThan(1000);
  });
  it('aborted: resolves at once', async () => {
    // Aborted before the loopback reply can be read, and while waiting on a silent target.
    const ac = new AbortController();
    const p = pingProber(conn(0))(ac.signal);
    ac.abort();
    expect(await p).toMatchObject({ ok: false, reason: 'aborted' });
    const ac2 = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac2.abort(), 50);
    expect((await pingProber(conn(0, 5, '203.0.113.9'))(ac2.signal)).ok).toBe(false);
    expect(Date.now() - t0).toBeLessThan(300);
  });
});

describe('createProbe', () => {
  it('builds all four', () => {
    expect(createProbe(smtp(25), {})).toBeTypeOf('function');
    expect(createProbe(dns(), {})).toBeTypeOf('function');
    expect(createProbe(udp(9), {})).toBeTypeOf('function');
    expect(createProbe({ type: 'PING_CHECK', loc, ...timing, connection: conn(0) }, {})).toBeTypeOf('function');
  });
});
