#!/usr/bin/env node
/**
 * A hostile host for the flood test (test/e2e/vrrp-flood.test.ts): sends bad VRRPv2 adverts for one VRID to
 * 224.0.0.18 out of IFNAME at RATE packets a second for SECONDS, cycling through the kinds a broken or
 * malicious router puts on a LAN. Every kind carries priority 254 (above both routers), so any one of them
 * wrongly accepted would show as a takeover. Prints one JSON line at the end: packets sent, per kind.
 * Uses the program's own codec and raw socket (dist/, after `npm run build`).
 *
 *   node test/helpers/vrrp-flood.mjs IFNAME SRC VRID PASSWORD RATE SECONDS
 */
import * as crypto from 'node:crypto';

// The built modules (dist/ is src/ compiled by `npm run build`), typed from their source.
const dist = new URL('../../dist/', import.meta.url);
/** @type {typeof import('../../src/vrrp/packet.js')} */
const { encode, passAuthData, rechecksum, AUTH_NONE, AUTH_PASS } = await import(new URL('vrrp/packet.js', dist).href);
/** @type {typeof import('../../src/vrrp/transport.js')} */
const { ipv4Header, openIpv4Raw } = await import(new URL('vrrp/transport.js', dist).href);
/** @type {typeof import('../../src/net/ip.js')} */
const { ipToBytes } = await import(new URL('net/ip.js', dist).href);

const [ifname, src, vridText, password, rateText, secsText] = process.argv.slice(2);
const vrid = Number(vridText);
const rate = Number(rateText);
const secs = Number(secsText);
const vip = ipToBytes('192.0.2.100');
const dst = ipToBytes('224.0.0.18');
const srcB = ipToBytes(src);

const good = (o = {}) =>
  encode({ version: 2, vrid, priority: 254, advertIntMs: 1000, addresses: [vip], authType: AUTH_PASS, authData: passAuthData(password), ...o });
/** A copy of advert `b` with `f` applied, its checksum valid again unless `badChecksum`. */
const corrupt = (b, f, badChecksum = false) => {
  const c = Buffer.from(b);
  f(c);
  return badChecksum ? c : rechecksum(c);
};
/** kind -> [VRRP payload, TTL] (a function for the random kind). */
const KINDS = {
  wrongPassword: () => [good({ authData: passAuthData('guessed!') }), 255],
  ttlBelow255: () => [good(), 64],
  badChecksum: () => [corrupt(good(), (c) => (c[6] ^= 0xff), true), 255],
  truncated: () => [good().subarray(0, 10), 255],
  version3: () => [corrupt(good(), (c) => (c[0] = 0x31)), 255],
  type2: () => [corrupt(good(), (c) => (c[0] = 0x22)), 255],
  addressCount: () => [corrupt(good(), (c) => (c[3] = 3)), 255],
  interval: () => [good({ advertIntMs: 3000 }), 255],
  noAuthentication: () => [good({ authType: AUTH_NONE, authData: new Uint8Array(8) }), 255],
  randomBytes: () => [crypto.randomBytes(8 + Math.floor(Math.random() * 40)), 255],
};
const names = Object.keys(KINDS);
const sent = Object.fromEntries(names.map((n) => [n, 0]));
let errors = 0;
let id = 1;
let n = 0;

const sock = openIpv4Raw({ protocol: 112, ifname, onError: () => errors++ });
const batchMs = 10;
const perBatch = Math.max(1, Math.round((rate * batchMs) / 1000));
const end = Date.now() + secs * 1000;
let inFlight = 0;
const t0 = Date.now();
const timer = setInterval(() => {
  if (Date.now() >= end) {
    clearInterval(timer);
    const wait = () => (inFlight > 0 ? setTimeout(wait, 10) : finish());
    wait();
    return;
  }
  // Keep to the rate over the whole run, whatever the timer's jitter.
  const due = Math.round(((Date.now() - t0) / 1000) * rate) - n;
  for (let i = 0; i < Math.min(due, perBatch * 5); i++) {
    const kind = names[n++ % names.length];
    const [payload, ttl] = KINDS[kind]();
    const pkt = Buffer.concat([ipv4Header({ src: srcB, dst, ttl, id: id++, payloadLen: payload.length }), payload]);
    inFlight++;
    sock.send(pkt, 0, pkt.length, '224.0.0.18', null, (err) => {
      inFlight--;
      if (err) errors++;
      else sent[kind]++;
    });
  }
}, batchMs);

function finish() {
  sock.close();
  const total = Object.values(sent).reduce((a, b) => a + b, 0);
  process.stdout.write(JSON.stringify({ total, errors, seconds: (Date.now() - t0) / 1000, sent }) + '\n');
}
