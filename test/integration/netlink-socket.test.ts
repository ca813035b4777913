/**
 * The native netlink socket (native/netlink.c via src/net/netlink/socket.ts) in a network namespace of its
 * own: a subscriber whose receive buffer overflows gets ENOBUFS as an error, by errno, and goes on
 * receiving (the netlink package's socket ended the process with SIGABRT there); a dump returns the links;
 * requests the kernel refuses fail with a NetlinkError carrying its errno (no message text to parse).
 * Needs root and iproute2; skips, saying so, otherwise.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const NS = `tsknl${process.pid % 100000}`;
const CHILD = path.resolve(__dirname, 'fixtures/netlink-overrun-child.mjs');
const CLIENT_CHILD = path.resolve(__dirname, 'fixtures/rtnl-client-child.mjs');
const ADDON = path.resolve(__dirname, '../../dist/native/netlink.node');
const canRun = process.getuid?.() === 0 && spawnSync('ip', ['netns', 'add', NS]).status === 0;
if (!canRun) console.log('netlink socket tests skipped: they need root and iproute2 (ip netns)');
if (canRun && !fs.existsSync(ADDON)) console.log(`netlink socket tests skipped: ${ADDON} not built (no C compiler?)`);

describe.skipIf(!canRun || !fs.existsSync(ADDON))('native netlink socket', () => {
  let dir = '';
  beforeAll(() => {
    spawnSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-nl-'));
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', NS]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reports an overrun as ENOBUFS and keeps receiving; a dump lists the links', () => {
    const batch = path.join(dir, 'burst');
    fs.writeFileSync(batch, Array.from({ length: 1500 }, (_, i) => `address add 2001:db8:1::${(i + 1).toString(16)}/128 dev lo\n`).join(''));
    const r = spawnSync('ip', ['netns', 'exec', NS, process.execPath, CHILD, batch], { encoding: 'utf8', timeout: 30_000 });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const seen = JSON.parse(r.stdout.trim()) as {
      impl: string;
      errors: Array<{ code: string; errno: number; message: string }>;
      before: number;
      after: number;
      links: number;
    };
    expect(seen.impl).toBe('native');
    // The burst overflowed a 4 KiB buffer: some notifications arrived, most were lost, and the loss was said.
    expect(seen.errors.length).toBeGreaterThanOrEqual(1);
    expect(seen.errors.every((e) => e.code === 'ENOBUFS' && e.errno === os.constants.errno.ENOBUFS)).toBe(true);
    expect(seen.errors[0]!.message).toMatch(/reading the test subscription: ENOBUFS/);
    expect(seen.before).toBeGreaterThan(0);
    expect(seen.before).toBeLessThan(1500);
    // The socket still works after the overrun.
    expect(seen.after).toBeGreaterThanOrEqual(1);
    expect(seen.links).toBeGreaterThanOrEqual(1);
  });

  it("rtnetlink requests: the kernel's refusals come back by errno", () => {
    const r = spawnSync('ip', ['netns', 'exec', NS, process.execPath, CLIENT_CHILD], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as Record<string, 'ok' | { name: string; code: string; errno: number; message: string }>;
    const E = os.constants.errno;
    expect(out.addAddress).toBe('ok');
    expect(out.addAddressAgain).toEqual({
      name: 'NetlinkError',
      code: 'EEXIST',
      errno: E.EEXIST,
      message: 'adding 192.0.2.55/32 to lo: EEXIST (file already exists)',
    });
    expect(out.addRoute).toBe('ok');
    expect(out.addRouteAgain).toMatchObject({ code: 'EEXIST', errno: E.EEXIST });
    expect(out.delRoute).toBe('ok');
    expect(out.delRouteAgain).toMatchObject({ code: 'ESRCH', errno: E.ESRCH });
    expect(out.delAddress).toBe('ok');
    expect(out.delAddressAgain).toMatchObject({ code: 'EADDRNOTAVAIL', errno: E.EADDRNOTAVAIL });
  });
});
