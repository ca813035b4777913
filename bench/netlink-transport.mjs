#!/usr/bin/env node
/**
 * Netlink transport benchmark: the cost of one generic netlink request and its answer through the IPVS
 * client's Requester (src/ipvs/requester.ts), over the `netlink` package's RawNetlinkSocket and over our own
 * socket (native/netlink.c, src/net/netlink/socket.ts) as the IPVS client opens it, in the same run. The request is CTRL_CMD_GETFAMILY for
 * "nlctrl", which every kernel answers, so it runs on any host (IPVS requests need the VM lab; the socket
 * work per request and answer is the same). `--n N` requests (default 20,000) in windows of 64, `--rounds K`
 * alternating (default 5); prints the median time per request and the CPU per request of each, and the
 * ratio. Builds on dist/: `npm run build` first.
 */
import * as path from 'node:path';

const ROOT = path.resolve(new URL('..', import.meta.url).pathname);
const argv = process.argv.slice(2);
const opt = (/** @type {string} */ name, /** @type {number} */ dflt) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const N = opt('--n', 20_000);
const ROUNDS = opt('--rounds', 5);

const { RawNetlinkSocket } = await import('netlink');
/** @type {typeof import('../src/ipvs/requester.js')} */
const { Requester } = await import(path.join(ROOT, 'dist/ipvs/requester.js'));
/** @type {typeof import('../src/net/netlink/socket.js')} */
const { NETLINK_GENERIC, nativeNetlinkError } = await import(path.join(ROOT, 'dist/net/netlink/socket.js'));
/** @type {typeof import('../src/ipvs/client.js')} */
const { socketTransport } = await import(path.join(ROOT, 'dist/ipvs/client.js'));
const nativeTransport = () => socketTransport('the bench socket');
/** @type {typeof import('../src/ipvs/nlmsg.js')} */
const { AttrWriter } = await import(path.join(ROOT, 'dist/ipvs/nlmsg.js'));
/** @type {typeof import('../src/util/errno.js')} */
const { osErrnoName } = await import(path.join(ROOT, 'dist/util/errno.js'));

if (nativeNetlinkError()) throw new Error(`the native netlink socket is not built: ${nativeNetlinkError()}`);

/** @returns {import('../src/ipvs/requester.js').Transport} */
function packageTransport() {
  const raw = new RawNetlinkSocket(NETLINK_GENERIC, { recvBufferSize: 1 << 20, sendBufferSize: 1 << 20 });
  raw.unref();
  return {
    send: (bufs, cb) => raw.send(bufs, {}, cb),
    onMessage: (fn) => raw.on('message', (/** @type {Buffer} */ msg) => fn(msg)),
    onError: (fn) => raw.on('error', fn),
    ref: () => raw.ref(),
    unref: () => raw.unref(),
    close: () => raw.close(),
  };
}

const GENL_ID_CTRL = 0x10;
const CTRL_CMD_GETFAMILY = 3;
const CTRL_ATTR_FAMILY_NAME = 2;
const attrs = new AttrWriter().str(CTRL_ATTR_FAMILY_NAME, 'nlctrl').finish();

/** @param {() => import('../src/ipvs/requester.js').Transport} make */
async function run(make) {
  const r = new Requester(make(), { familyId: GENL_ID_CTRL, version: 1, window: 64, errnoName: osErrnoName });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const all = [];
  for (let i = 0; i < N; i++) all.push(r.request(CTRL_CMD_GETFAMILY, attrs));
  const answers = await Promise.all(all);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  r.close();
  const bad = answers.filter((a) => a.errno !== 0 || a.replies.length !== 1).length;
  if (bad) throw new Error(`${bad} requests without their answer`);
  return { usPerReq: (ms * 1000) / N, cpuUsPerReq: (cpu.user + cpu.system) / N };
}

const med = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** @type {Record<string, Array<{ usPerReq: number, cpuUsPerReq: number }>>} */
const res = { package: [], native: [] };
await run(nativeTransport); // warm-up
await run(packageTransport);
for (let k = 0; k < ROUNDS; k++) {
  res.package.push(await run(packageTransport));
  res.native.push(await run(nativeTransport));
}
console.log(`${N} GETFAMILY requests, window 64, ${ROUNDS} rounds (medians):`);
console.log('| socket | wall per request | CPU per request |');
console.log('| --- | --- | --- |');
for (const [k, v] of Object.entries(res))
  console.log(`| ${k} | ${med(v.map((x) => x.usPerReq)).toFixed(1)} µs | ${med(v.map((x) => x.cpuUsPerReq)).toFixed(1)} µs |`);
const ratio = med(res.native.map((x) => x.cpuUsPerReq)) / med(res.package.map((x) => x.cpuUsPerReq));
console.log(`native / package CPU per request: ${ratio.toFixed(2)}`);
