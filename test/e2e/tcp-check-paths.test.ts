/**
 * The daemon's TCP_CHECK on both paths, from the built program: on the native engine (the default once
 * `npm run build` compiled it) the checks run with nothing said about it; with TSKEEPALIVED_NATIVE=0 they
 * run on Node's TCP handles and the log says why. Either way a listener sees every real server checked at
 * delay_loop. Runs the daemon in the foreground; IPVS is not needed (the checks run without it).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '../../bin/tskeepalived.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-tcppaths-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run(env: NodeJS.ProcessEnv): Promise<{ out: string; perPort: number[] }> {
  const counts = [0, 0, 0];
  const servers = counts.map((_, i) =>
    net.createServer((c) => {
      counts[i]!++;
      c.destroy();
    }),
  );
  const ports = await Promise.all(servers.map((s) => new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as net.AddressInfo).port)))));
  const file = path.join(dir, `k${Date.now()}.conf`);
  fs.writeFileSync(
    file,
    `virtual_server 192.0.2.1 80 {\n  delay_loop 0.25\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n${ports.map((p) => `  real_server 127.0.0.1 ${p} {\n    TCP_CHECK {\n      connect_timeout 1\n    }\n  }\n`).join('')}}\n`,
  );
  const p = spawn(process.execPath, [BIN, '-n', '-l', '-f', file, '-p', path.join(dir, 'k.pid'), '--status-socket', 'none'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => p.on('exit', r));
  const t0 = Date.now();
  while (!out.includes('tskeepalived started') && Date.now() - t0 < 10_000) await sleep(50);
  await sleep(300);
  counts.fill(0);
  await sleep(2000);
  const perPort = [...counts];
  p.kill('SIGTERM');
  expect(await exited).toBe(0);
  for (const s of servers) s.close();
  return { out, perPort };
}

describe('TCP_CHECK in the daemon', () => {
  it('runs on the native engine, silently', async () => {
    const { out, perPort } = await run({});
    // delay_loop 0.25 s over 2 s: 8 checks per real server (7 to 9 with the window's edges).
    for (const n of perPort) expect(n).toBeGreaterThanOrEqual(7);
    for (const n of perPort) expect(n).toBeLessThanOrEqual(9);
    expect(out).not.toContain("TCP_CHECK runs on Node's TCP handles");
  }, 20_000);

  it("without it (TSKEEPALIVED_NATIVE=0) runs on Node's TCP handles and says why", async () => {
    const { out, perPort } = await run({ TSKEEPALIVED_NATIVE: '0' });
    for (const n of perPort) expect(n).toBeGreaterThanOrEqual(7);
    for (const n of perPort) expect(n).toBeLessThanOrEqual(9);
    expect(out).toContain("TCP_CHECK runs on Node's TCP handles: the native TCP check engine is not available (TSKEEPALIVED_NATIVE=0)");
  }, 20_000);
});
