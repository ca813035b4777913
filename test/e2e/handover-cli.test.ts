/**
 * `tskeepalived --handover` against what it may find instead of a daemon that can hand over: nothing
 * running (exit 3), a daemon of a version without request lines (it answers its status to anyone: exit 1,
 * named as such), a refusal (exit 1 with the daemon's reason), and `--status-socket none` (exit 2). No root
 * needed: the "daemons" are unix sockets of this test.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '../../bin/tskeepalived.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-hocli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): Promise<{ rc: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (rc) => resolve({ rc, out, err }));
  });
}

/** A unix socket server that answers every connection with `answer` (one JSON line). */
async function fakeDaemon(name: string, answer: (request: string) => unknown, waitForRequest: boolean): Promise<{ file: string; close: () => void }> {
  const file = path.join(dir, name);
  const server = net.createServer((c) => {
    if (!waitForRequest) return void c.end(JSON.stringify(answer('')) + '\n');
    c.once('data', (d) => c.end(JSON.stringify(answer(d.toString().trim())) + '\n'));
  });
  await new Promise<void>((r) => server.listen(file, r));
  return { file, close: () => server.close() };
}

describe('tskeepalived --handover without a daemon that can hand over', () => {
  it('nothing running: exit 3, saying where it looked', async () => {
    const r = await run(['--handover', '--status-socket', path.join(dir, 'none.sock'), '-p', path.join(dir, 'none.pid')]);
    expect(r.rc).toBe(3);
    expect(r.err).toBe(
      `tskeepalived --handover: no tskeepalived is running (no status socket ${dir}/none.sock, no live process in ${dir}/none.pid); for a daemon in a network namespace give -s NAME\n`,
    );
  });

  it('a daemon of a version without --handover (it answers its status to anyone): exit 1, named as such', async () => {
    const d = await fakeDaemon('old.sock', () => ({ pid: 1, vrrp: [] }), false);
    try {
      const r = await run(['--handover', '--status-socket', d.file]);
      expect(r.rc).toBe(1);
      expect(r.err).toContain('answered with its status: it is a version without --handover (a restart of it fails over)');
    } finally {
      d.close();
    }
  });

  it('a daemon that refuses: exit 1 with its reason', async () => {
    const d = await fakeDaemon('busy.sock', (req) => (req === 'handover' ? { error: 'the daemon is already stopping' } : {}), true);
    try {
      const r = await run(['--handover', '--status-socket', d.file]);
      expect(r.rc).toBe(1);
      expect(r.err).toBe('tskeepalived --handover: the daemon refused: the daemon is already stopping\n');
    } finally {
      d.close();
    }
  });

  it('--status-socket none: exit 2 (the handover is asked for on the socket)', async () => {
    const r = await run(['--handover', '--status-socket', 'none']);
    expect(r.rc).toBe(2);
    expect(r.err).toContain('--status-socket none');
  });

  it('--help lists --handover and --handover-file', async () => {
    const r = await run(['--help']);
    expect(r.out).toMatch(/--handover {2,}restart without failover/);
    expect(r.out).toMatch(/--handover-file=VALUE +the daemon's handover state file/);
  });
});
