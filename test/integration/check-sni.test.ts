/**
 * SSL_GET's server name indication on loopback: enable_sni sends the virtualhost, sni_name (a keyword of
 * keepalived after 2.4.3) sends its own name while the Host header stays the virtualhost. (Without
 * enable_sni, Node's https client still derives a server name from the Host header: not tested here.) Needs
 * openssl for a throwaway certificate; skips otherwise.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpProbe } from '../../src/check/probes/http.js';
import type { HttpCheck } from '../../src/config/model/lvs.js';

const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-sni-'));
const haveCert =
  spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-days',
      '1',
      '-keyout',
      path.join(certDir, 'key.pem'),
      '-out',
      path.join(certDir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  ).status === 0;
const never = new AbortController().signal;
const seen: { sni: string | false | null; host: string }[] = [];
let server: https.Server | undefined;
let port = 0;

beforeAll(async () => {
  if (!haveCert) return;
  server = https.createServer({ key: fs.readFileSync(path.join(certDir, 'key.pem')), cert: fs.readFileSync(path.join(certDir, 'cert.pem')) }, (req, res) => {
    seen.push({ sni: (req.socket as import('node:tls').TLSSocket).servername, host: req.headers.host ?? '' });
    res.end('ok');
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => {
  server?.close();
  fs.rmSync(certDir, { recursive: true, force: true });
});

const check = (sni: Partial<HttpCheck>): HttpCheck => ({
  type: 'SSL_GET',
  loc: { file: 't', line: 1 },
  alpha: false,
  retry: 0,
  delayBeforeRetryS: 1,
  warmupS: 0,
  delayLoopS: 1,
  logAllFailures: false,
  connection: { connectIp: '127.0.0.1', family: 'inet', connectPort: port, bindPort: 0, connectTimeoutS: 2, fwmark: 0 },
  urls: [{ loc: { file: 't', line: 1 }, path: '/', statusCodes: [[200, 299]] }],
  virtualhost: 'www.example.com',
  httpProtocol: '1.0',
  enableSni: false,
  fastRecovery: false,
  ...sni,
});

describe.skipIf(!haveCert)('SSL_GET server name indication', () => {
  it('the virtualhost with enable_sni, sni_name when given', async () => {
    for (const c of [check({ enableSni: true }), check({ enableSni: true, sniName: 'sni.example.net' })]) {
      expect((await httpProbe(c, {}, never)).ok).toBe(true);
    }
    expect(seen).toEqual([
      { sni: 'www.example.com', host: 'www.example.com' },
      { sni: 'sni.example.net', host: 'www.example.com' },
    ]);
  });
});
