/**
 * bind_if and fwmark on checker sockets (SO_BINDTODEVICE / SO_MARK, set through net/sockopt.ts), for
 * every socket path the checkers use: TCP_CHECK's bare handle, the net.Socket of SMTP_CHECK, HTTP_GET,
 * SSL_GET (TLS over our socket) and UDP_CHECK/DNS_CHECK (dgram over our socket). The probes run from the
 * built code (dist/, made by `npm run build` before the tests) in a fresh network namespace where
 * `ip rule fwmark 7 prohibit` refuses marked traffic, so a mark that is really set makes the check fail
 * with EACCES, and binding to an interface other than lo makes a 127.0.0.1 check fail. Needs root and
 * unshare; skips otherwise.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const DIST = path.join(ROOT, 'dist');
const canRun = process.getuid?.() === 0 && spawnSync('unshare', ['-n', 'true']).status === 0 && fs.existsSync(path.join(DIST, 'net/sockopt.js'));
const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-marks-'));
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
afterAll(() => fs.rmSync(certDir, { recursive: true, force: true }));

describe.skipIf(!canRun)('bind_if and fwmark on checker sockets (in a network namespace)', () => {
  it('a mark refused by policy routing fails every checker; bind_if lo passes, another interface or a missing one fails', () => {
    const r = spawnSync('unshare', ['-n', process.execPath, path.join(__dirname, 'fixtures/marks-child.mjs'), DIST, haveCert ? certDir : ''], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, Record<string, string>>;
    const paths = haveCert ? ['tcp', 'tcp-js', 'socket', 'http', 'https', 'udp'] : ['tcp', 'tcp-js', 'socket', 'http', 'udp'];
    for (const p of paths) {
      expect(out.none![p], `${p} without marks`).toBe('ok');
      expect(out.lo![p], `${p} bind_if lo`).toBe('ok');
      // prohibit: the kernel refuses the route for marked packets (EACCES at connect or send).
      expect(out.fwmark7![p], `${p} fwmark 7`).toMatch(/EACCES|permission denied/i);
      expect(out.dummy0![p], `${p} bind_if dummy0`).not.toBe('ok');
      expect(out.missing![p], `${p} bind_if nosuch0`).toMatch(/bind_if nosuch0: ENODEV/);
    }
    // A UDP connect refused by the kernel is a failed check (it used to throw from the connect callback).
    expect(out.unroutable!.udp).toBe('UDP connection to [198.51.100.1]:udp:9 failed: ENETUNREACH');
    const timed = out as unknown as Record<'silent' | 'aborted', Record<string, { reason: string; ms: number }>>;
    for (const p of ['tcp', 'tcp-js']) {
      expect(out.unroutable![p], p).toBe('TCP connection to [198.51.100.1]:tcp:9 failed: ENETUNREACH');
      // connect_timeout 0.5 s: down at the limit, not before and not much after.
      expect(timed.silent[p]!.reason, p).toBe('TCP connection to [203.0.113.9]:tcp:80 failed: timeout');
      expect(timed.silent[p]!.ms, p).toBeGreaterThanOrEqual(480);
      expect(timed.silent[p]!.ms, p).toBeLessThan(800);
      // Aborted after 100 ms of a 3 s limit: ended then, as aborted.
      expect(timed.aborted[p]!.reason, p).toBe('TCP connection to [203.0.113.9]:tcp:80 failed: aborted');
      expect(timed.aborted[p]!.ms, p).toBeLessThan(600);
    }
  }, 90_000);
});
