/**
 * The checker probes against real peers on loopback: a TCP listener, a Node HTTP server (status, digest,
 * regex, virtual host, slow answers), a script (exit codes, misc_dynamic, a hanging child killed with its
 * group). Up, down, slow (timeout) and flapping, each bounded by its timeout.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckerConnection, HttpCheck, MiscCheck } from '../../src/config/model/lvs.js';
import { httpProbe } from '../../src/check/probes/http.js';
import { miscProbe } from '../../src/check/probes/misc.js';
import { tcpProbe as tcpProbeOn } from '../../src/check/probes/tcp.js';

const loc = { file: 't', line: 1 } as never;
const timing = { alpha: false, retry: 0, delayBeforeRetryS: 1, warmupS: 0, delayLoopS: 1, logAllFailures: false };
const conn = (port: number, timeoutS = 1): CheckerConnection => ({
  connectIp: '127.0.0.1',
  family: 'inet',
  connectPort: port,
  bindPort: 0,
  connectTimeoutS: timeoutS,
  fwmark: 0,
});
const never = new AbortController().signal;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-probes-'));

let httpPort = 0;
let hostSeen = '';
let mode: 'ok' | 'slow' | '500' = 'ok';
const server = http.createServer((req, res) => {
  hostSeen = req.headers.host ?? '';
  if (mode === 'slow') return void setTimeout(() => res.end('late'), 3000);
  if (mode === '500') return void res.writeHead(500).end('no');
  res.end(req.url === '/health' ? 'all good here' : 'hello');
});

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  httpPort = (server.address() as net.AddressInfo).port;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

// The native engine (built by npm run build) and Node's TCP handles (the fallback) must behave alike.
describe.each([
  ['native engine', true],
  ["Node's TCP handles", false],
])('TCP_CHECK probe on %s', (_name, native) => {
  const tcpProbe = (c: CheckerConnection, signal: AbortSignal) => tcpProbeOn(c, signal, native);
  it('up against a listener, down against a closed port, and it releases every socket', async () => {
    expect((await tcpProbe(conn(httpPort), never)).ok).toBe(true);
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as net.AddressInfo).port;
    closed.close();
    const r = await tcpProbe(conn(port), never);
    expect(r).toMatchObject({ ok: false, reason: `TCP connection to [127.0.0.1]:tcp:${port} failed: ECONNREFUSED` });
    const before = process.getActiveResourcesInfo().filter((x) => x.startsWith('TCP')).length;
    const fds = fs.readdirSync('/proc/self/fd').length;
    for (let i = 0; i < 200; i++) await tcpProbe(conn(port), never);
    expect(process.getActiveResourcesInfo().filter((x) => x.startsWith('TCP')).length).toBeLessThanOrEqual(before);
    expect(fs.readdirSync('/proc/self/fd').length).toBeLessThanOrEqual(fds);
  });
  it('a stalled event loop does not fail a check whose answer came in time (the limit yields to polled I/O)', async () => {
    // The handshake completes in the kernel while this process is busy past connect_timeout; when the
    // loop comes back, the due timer must not win over the completion waiting to be polled.
    const pending = tcpProbe(conn(httpPort, 0.05), never);
    const until = Date.now() + 200;
    while (Date.now() < until) {
      // busy: a director too loaded to run its loop
    }
    expect(await pending).toMatchObject({ ok: true });
  });
  it('a peer that never answers the SYN: down after connect_timeout, not later', async () => {
    // 192.0.2.1 (TEST-NET-1) is unroutable here or silently dropped; either way the probe ends in time.
    const t0 = Date.now();
    const r = await tcpProbe({ ...conn(80), connectIp: '192.0.2.1', connectTimeoutS: 0.5 }, never);
    expect(r.ok).toBe(false);
    expect(Date.now() - t0).toBeLessThan(1500);
  });
});

describe('HTTP_GET probe', () => {
  const check = (urls: Array<Partial<HttpCheck['urls'][number]>>, timeoutS = 1): HttpCheck => ({
    type: 'HTTP_GET',
    loc,
    ...timing,
    connection: conn(httpPort, timeoutS),
    httpProtocol: '1.0',
    enableSni: false,
    fastRecovery: false,
    urls: urls.map((u) => ({ loc, path: '/', statusCodes: [[200, 299]], ...u })) as HttpCheck['urls'],
  });
  it('status codes, digest, regex, virtual host', async () => {
    mode = 'ok';
    expect((await httpProbe(check([{ path: '/health' }]), { virtualhost: 'www.example.com' }, never)).ok).toBe(true);
    expect(hostSeen).toBe('www.example.com');
    const md5 = createHash('md5').update('all good here').digest('hex');
    expect((await httpProbe(check([{ path: '/health', digest: md5 }]), {}, never)).ok).toBe(true);
    const bad = await httpProbe(check([{ path: '/health', digest: '0'.repeat(32) }]), {}, never);
    expect(bad).toMatchObject({ ok: false, reason: `MD5 digest error to [127.0.0.1]:tcp:${httpPort} url(/health), digest(${md5})` });
    expect((await httpProbe(check([{ path: '/health', regex: { pattern: 'good', options: [], noMatch: false } }]), {}, never)).ok).toBe(true);
    expect((await httpProbe(check([{ path: '/health', regex: { pattern: 'good', options: [], noMatch: true } }]), {}, never)).ok).toBe(false);
    mode = '500';
    expect((await httpProbe(check([{}]), {}, never)).reason).toMatch(/status_code \[500\]/);
    expect((await httpProbe(check([{ statusCodes: [[500, 599]] }]), {}, never)).ok).toBe(true);
  });
  it('slow: down after connect_timeout; flapping follows the server', async () => {
    mode = 'slow';
    const t0 = Date.now();
    const r = await httpProbe(check([{}], 0.5), {}, never);
    expect(r).toMatchObject({ ok: false });
    expect(r.reason).toMatch(/timeout/);
    expect(Date.now() - t0).toBeLessThan(1500);
    const seen: boolean[] = [];
    for (const m of ['ok', '500', 'ok', '500'] as const) {
      mode = m;
      seen.push((await httpProbe(check([{}]), {}, never)).ok);
    }
    expect(seen).toEqual([true, false, true, false]);
  });
});

describe('MISC_CHECK probe', () => {
  const script = (body: string) => {
    const f = path.join(dir, `s${Math.random().toString(36).slice(2)}.sh`);
    fs.writeFileSync(f, `#!/bin/sh\n${body}\n`);
    fs.chmodSync(f, 0o755);
    return f;
  };
  const misc = (f: string, timeoutS = 1, dynamic = false): MiscCheck => ({
    type: 'MISC_CHECK',
    loc,
    ...timing,
    script: { cmd: f, argv: [f], loc },
    timeoutS,
    dynamic,
  });
  it('exit 0 up, 1 down, misc_dynamic weight = status - 2', async () => {
    expect((await miscProbe(misc(script('exit 0')), undefined, never)).ok).toBe(true);
    expect((await miscProbe(misc(script('exit 1')), undefined, never)).ok).toBe(false);
    expect(await miscProbe(misc(script('exit 7'), 1, true), undefined, never)).toMatchObject({ ok: true, weight: 5 });
    expect((await miscProbe(misc(script('exit 7')), undefined, never)).ok).toBe(false);
  });
  it('misc_timeout kills the whole process group, children included', async () => {
    const pidFile = path.join(dir, 'child.pid');
    const t0 = Date.now();
    const r = await miscProbe(misc(script(`sleep 30 & echo $! > ${pidFile}; wait`), 0.5), undefined, never);
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/timed out/) });
    expect(Date.now() - t0).toBeLessThan(1500);
    await new Promise((res) => setTimeout(res, 100));
    const child = Number(fs.readFileSync(pidFile, 'utf8'));
    // Gone, or a zombie waiting for its reaper (a container's init may be slow to reap): not running.
    const stat = fs.existsSync(`/proc/${child}/stat`) ? fs.readFileSync(`/proc/${child}/stat`, 'utf8') : '';
    expect(stat === '' || / Z /.test(stat)).toBe(true);
  });
});
