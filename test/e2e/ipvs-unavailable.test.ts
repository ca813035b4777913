/**
 * On a kernel without IPVS (this host's): the client says so plainly, and the daemon keeps running (VRRP
 * carries on) instead of dying. Skips itself where IPVS exists (the VM lab covers that side).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IpvsClient } from '../../src/ipvs/client.js';

const HAS_IPVS = fs.existsSync('/proc/net/ip_vs');
const BIN = path.resolve(__dirname, '../../bin/tskeepalived.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-noipvs-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe.skipIf(HAS_IPVS)('without IPVS in the kernel', () => {
  it('IpvsClient.open() fails with a clear message and code IPVS_UNAVAILABLE', async () => {
    const err = await IpvsClient.open().then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    expect(err?.code).toBe('IPVS_UNAVAILABLE');
    expect(err?.message).toMatch(/^IPVS not available: load the ip_vs module \(.+\)$/);
  });

  it('the daemon logs it and keeps running until SIGTERM', async () => {
    const file = path.join(dir, 'k.conf');
    fs.writeFileSync(
      file,
      'virtual_server 192.0.2.1 80 {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  real_server 198.51.100.11 80 {\n    weight 1\n  }\n}\n',
    );
    const p = spawn(process.execPath, [BIN, '-n', '-l', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => p.on('exit', r));
    const t0 = Date.now();
    while (!out.includes('tskeepalived started') && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
    expect(out).toContain('IPVS not available: load the ip_vs module');
    await new Promise((r) => setTimeout(r, 500));
    expect(p.exitCode).toBeNull(); // still running
    p.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
