/**
 * `tskeepalived --genhash` (keepalived -T): the digest printed for a page is the one HTTP_GET compares,
 * and the same as real keepalived's genhash prints (when keepalived is installed).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '../../bin/tskeepalived.js');
const hasKeepalived = spawnSync('keepalived', ['--version']).status === 0;
let port = 0;
const page = (url: string) => `<html>${url} ${'x'.repeat(5000)}</html>`;
const server = http.createServer((q, s) => s.end(page(q.url ?? '')));
// Async: the server answers while the child runs.
const run = (args: string[], cmd = process.execPath, pre = [BIN]) =>
  new Promise<{ status: number | null; out: string; err: string }>((resolve) => {
    const p = spawn(cmd, [...pre, ...args]);
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    p.stderr.on('data', (d: Buffer) => (err += d));
    p.on('exit', (status) => resolve({ status, out, err }));
  });

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => server.close());

describe('--genhash', () => {
  it("prints the body's MD5, as HTTP_GET's digest compares it", async () => {
    const r = await run(['-T', '-s', '127.0.0.1', '-p', String(port), '-u', '/health']);
    expect(r.status).toBe(0);
    expect(r.out).toBe(createHash('md5').update(page('/health')).digest('hex') + '\n');
  });
  it.skipIf(!hasKeepalived)("matches keepalived's genhash, plain and with a virtual host", async () => {
    for (const extra of [[], ['-V', 'www.example.com']]) {
      const args = ['--genhash', '-s', '127.0.0.1', '-p', String(port), '-u', '/a?b=1', ...extra];
      const ka = await run(args, 'keepalived', []);
      const ts = await run(args);
      expect(ka.status).toBe(0);
      expect(ts.out).toBe(ka.out);
    }
  });
  it('says why when it cannot fetch, and refuses bad options', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const p = (closed.address() as AddressInfo).port;
    closed.close();
    const r = await run(['--genhash', '-s', '127.0.0.1', '-p', String(p), '-u', '/']);
    expect(r.status).toBe(1);
    expect(r.err).toContain('ECONNREFUSED');
    const bad = await run(['--genhash', '-s', 'www.example.com', '-u', '/']);
    expect(bad.status).toBe(2);
    expect(bad.err).toContain('server should be an IP, not www.example.com');
    const mark = await run(['--genhash', '-s', '127.0.0.1', '-p', String(p), '-u', '/', '-m', 'x']);
    expect(mark.status).toBe(2);
    expect(mark.err).toContain("invalid fwmark 'x'");
  });
});
