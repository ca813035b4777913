/**
 * SIGHUP reloads between real processes in network namespaces: two tskeepalived directors on a
 * bridge, a client connecting to the VIP all the time, and `ip monitor address` on the MASTER watching for
 * any moment a VIP disappears. Each reload must apply only its difference: a VIP added, a priority
 * changed, an instance removed, a broken file refused (the old configuration keeps running), and 200
 * reloads in a row leave the memory flat. Needs root and iproute2; skips, saying so, otherwise.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '../../bin/tskeepalived.js');
const root = process.getuid?.() === 0;
const canRun = root && spawnSync('ip', ['netns', 'add', `rlprobe${process.pid}`]).status === 0;
if (canRun) spawnSync('ip', ['netns', 'del', `rlprobe${process.pid}`]);
if (!canRun) console.log('reload namespace tests skipped: they need root and iproute2 (ip netns)');

const tag = `${process.pid % 10000}`;
const NS = { a: `rla${tag}`, b: `rlb${tag}`, c: `rlc${tag}`, sw: `rlsw${tag}` };
const IF = { a: `rva${tag}`, b: `rvb${tag}`, c: `rvc${tag}` };
const IP = { a: '192.0.2.1', b: '192.0.2.2', c: '192.0.2.50' };
const VIP1 = '192.0.2.100';
const VIP1B = '192.0.2.101';
const VIP2 = '192.0.2.102';
const PORT = 8080;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-reload-'));
const procs: ChildProcess[] = [];

function sh(...args: string[]): string {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

interface Opts {
  priority: number;
  vips1?: string[];
  withVi2?: boolean;
}

function conf(side: 'a' | 'b', o: Opts): string {
  const vi = (name: string, vrid: number, vips: string[]) =>
    `vrrp_instance ${name} {\n  state BACKUP\n  interface ${IF[side]}\n  virtual_router_id ${vrid}\n  priority ${o.priority}\n  advert_int 1\n  virtual_ipaddress {\n${vips.map((v) => `    ${v}/24\n`).join('')}  }\n}\n`;
  return vi('VI_1', 51, o.vips1 ?? [VIP1]) + (o.withVi2 === false ? '' : vi('VI_2', 52, [VIP2]));
}

interface Director {
  proc: ChildProcess;
  log: string;
  file: string;
  pid: () => number;
}

function startTs(side: 'a' | 'b', text: string): Director {
  const file = path.join(dir, `${side}.conf`);
  fs.writeFileSync(file, text);
  const log = path.join(dir, `${side}.log`);
  const pidFile = path.join(dir, `${side}.pid`);
  const out = fs.openSync(log, 'w');
  const proc = spawn('ip', ['netns', 'exec', NS[side], process.execPath, BIN, '-n', '-l', '-f', file, '-p', pidFile], { stdio: ['ignore', out, out] });
  procs.push(proc);
  return { proc, log, file, pid: () => Number(fs.readFileSync(pidFile, 'utf8')) };
}

const logText = (d: Director) => fs.readFileSync(d.log, 'utf8');
const count = (d: Director, what: string) =>
  logText(d)
    .split('\n')
    .filter((l) => l.includes(what)).length;
const addrs = (side: 'a' | 'b') => sh('ip', '-n', NS[side], '-4', '-o', 'addr', 'show', 'dev', IF[side]);
const has = (side: 'a' | 'b', ip: string) => addrs(side).includes(` ${ip}/`);

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

/** Rewrites the file and sends SIGHUP; resolves when the daemon has logged the outcome of that reload. */
async function reload(d: Director, text: string): Promise<string> {
  fs.writeFileSync(d.file, text);
  const done = () => count(d, 'Reload finished') + count(d, 'keeping the running configuration') + count(d, 'configuration unchanged');
  const before = done();
  process.kill(d.pid(), 'SIGHUP');
  await waitFor(() => done() > before, 10_000, 'the reload to finish');
  return logText(d);
}

/** `ip monitor address` in a director's namespace: every address event, to catch a VIP removed even briefly. */
function monitor(side: 'a' | 'b'): { deleted: (ip: string) => boolean; stop: () => void } {
  const p = spawn('ip', ['-n', NS[side], 'monitor', 'address'], { stdio: ['ignore', 'pipe', 'ignore'] });
  procs.push(p);
  let text = '';
  p.stdout!.on('data', (b: Buffer) => (text += b.toString()));
  return { deleted: (ip) => text.split('\n').some((l) => l.startsWith('Deleted') && l.includes(` ${ip}/`)), stop: () => p.kill() };
}

/**
 * A client in its own namespace connecting to the VIP every 20 ms (new TCP connection each time), counting
 * successes and failures; the counts are read from a file it rewrites after every attempt.
 */
function client(): { counts: () => { ok: number; failed: number }; stop: () => void } {
  const script = path.join(dir, 'client.mjs');
  const counts = path.join(dir, 'client.json');
  fs.writeFileSync(
    script,
    `import net from 'node:net'; import fs from 'node:fs';
let ok = 0, failed = 0;
const once = () => { const s = net.connect({ host: '${VIP1}', port: ${PORT}, timeout: 1000 });
  const end = (good) => { s.destroy(); good ? ok++ : failed++; fs.writeFileSync('${counts}.tmp', JSON.stringify({ ok, failed })); fs.renameSync('${counts}.tmp', '${counts}'); setTimeout(once, 20); };
  s.once('data', () => end(true)); s.once('error', () => end(false)); s.once('timeout', () => end(false)); };
once();`,
  );
  const p = spawn('ip', ['netns', 'exec', NS.c, process.execPath, script], { stdio: 'ignore' });
  procs.push(p);
  // The client replaces the file (write, then rename) after every connection, so a read sees a whole one;
  // a failed read (the file not there yet) keeps the last reading.
  let last = { ok: 0, failed: 0 };
  return {
    counts: () => {
      try {
        last = JSON.parse(fs.readFileSync(counts, 'utf8')) as { ok: number; failed: number };
      } catch {
        /* torn read: keep the last one */
      }
      return last;
    },
    stop: () => p.kill(),
  };
}

const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

describe.skipIf(!canRun)('SIGHUP reload by difference, with a client on the VIP', () => {
  let a: Director;
  let b: Director;
  let mon: ReturnType<typeof monitor>;
  let cl: ReturnType<typeof client>;

  beforeAll(async () => {
    sh('ip', 'netns', 'add', NS.sw);
    sh('ip', '-n', NS.sw, 'link', 'add', 'br0', 'type', 'bridge');
    sh('ip', '-n', NS.sw, 'link', 'set', 'br0', 'up');
    for (const s of ['a', 'b', 'c'] as const) {
      sh('ip', 'netns', 'add', NS[s]);
      sh('ip', 'link', 'add', IF[s], 'type', 'veth', 'peer', 'name', `${IF[s]}p`);
      sh('ip', 'link', 'set', `${IF[s]}p`, 'netns', NS.sw);
      sh('ip', '-n', NS.sw, 'link', 'set', `${IF[s]}p`, 'master', 'br0');
      sh('ip', '-n', NS.sw, 'link', 'set', `${IF[s]}p`, 'up');
      sh('ip', 'link', 'set', IF[s], 'netns', NS[s]);
      sh('ip', '-n', NS[s], 'addr', 'add', `${IP[s]}/24`, 'dev', IF[s]);
      sh('ip', '-n', NS[s], 'link', 'set', IF[s], 'up');
      sh('ip', '-n', NS[s], 'link', 'set', 'lo', 'up');
    }
    // A TCP service on both directors: whoever holds the VIP answers.
    for (const s of ['a', 'b'] as const) {
      const p = spawn('ip', ['netns', 'exec', NS[s], process.execPath, '-e', `require('net').createServer((c) => c.end('${s}\\n')).listen(${PORT})`], {
        stdio: 'ignore',
      });
      procs.push(p);
    }
    a = startTs('a', conf('a', { priority: 150 }));
    b = startTs('b', conf('b', { priority: 100 }));
    await waitFor(() => has('a', VIP1) && has('a', VIP2), 10_000, 'a to become MASTER of both instances');
    await new Promise((r) => setTimeout(r, 1500));
    expect(has('b', VIP1)).toBe(false);
    mon = monitor('a');
    cl = client();
    await waitFor(() => cl.counts().ok >= 10, 10_000, 'the client to reach the VIP');
  }, 60_000);

  afterAll(async () => {
    for (const p of procs.splice(0).reverse()) if (p.exitCode === null) p.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    for (const n of [NS.a, NS.b, NS.c]) spawnSync('sh', ['-c', `ip netns pids ${n} | xargs -r kill -9`]);
    for (const n of Object.values(NS)) spawnSync('ip', ['netns', 'del', n]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a reload that adds a VIP: added at once, the old VIP never removed, no new election, no failed connection', async () => {
    const enteredBefore = count(a, 'Entering') + count(b, 'Entering');
    const c0 = cl.counts();
    await reload(a, conf('a', { priority: 150, vips1: [VIP1, VIP1B] }));
    await waitFor(() => has('a', VIP1B), 2000, 'the new VIP');
    await new Promise((r) => setTimeout(r, 1500));
    expect(mon.deleted(VIP1)).toBe(false);
    expect(mon.deleted(VIP2)).toBe(false);
    expect(count(a, 'Entering') + count(b, 'Entering')).toBe(enteredBefore);
    expect(has('b', VIP1)).toBe(false);
    const c1 = cl.counts();
    expect(c1.ok).toBeGreaterThan(c0.ok);
    expect(c1.failed).toBe(c0.failed);
  });

  it('a reload that changes the priority (still the highest): MASTER stays MASTER, nothing moves', async () => {
    const enteredBefore = count(a, 'Entering') + count(b, 'Entering');
    const c0 = cl.counts();
    await reload(a, conf('a', { priority: 140, vips1: [VIP1, VIP1B] }));
    await new Promise((r) => setTimeout(r, 4000)); // longer than b's Master_Down_Interval
    expect(count(a, 'Entering') + count(b, 'Entering')).toBe(enteredBefore);
    expect(mon.deleted(VIP1)).toBe(false);
    expect(cl.counts().failed).toBe(c0.failed);
  });

  it('a reload with a broken file logs the error with file:line and keeps everything running', async () => {
    const good = fs.readFileSync(a.file, 'utf8');
    const c0 = cl.counts();
    const text = await reload(a, `${good}vrrp_instance VI_3 {\n  interface ${IF.a}\n  virtual_router_id 300\n  priority 50\n}\n`);
    expect(text).toContain('keeping the running configuration');
    expect(text).toMatch(new RegExp(`${path.basename(a.file).replace('.', '\\.')}:\\d+`));
    await new Promise((r) => setTimeout(r, 1000));
    expect(has('a', VIP1) && has('a', VIP1B) && has('a', VIP2)).toBe(true);
    expect(mon.deleted(VIP1)).toBe(false);
    expect(cl.counts().failed).toBe(c0.failed);
    fs.writeFileSync(a.file, good);
  });

  it('a reload that removes an instance stops only that one (its VIP goes to the BACKUP); the other is untouched', async () => {
    const c0 = cl.counts();
    await reload(a, conf('a', { priority: 140, vips1: [VIP1, VIP1B], withVi2: false }));
    await waitFor(() => !has('a', VIP2), 2000, 'VI_2 to release its VIP');
    // VI_2 stopped with a priority 0 advert: b's VI_2 takes over after its skew time.
    await waitFor(() => has('b', VIP2), 3000, "b's VI_2 to take the VIP");
    expect(has('a', VIP1) && has('a', VIP1B)).toBe(true);
    expect(mon.deleted(VIP1)).toBe(false);
    expect(cl.counts().failed).toBe(c0.failed);
  });

  it('200 reloads in a row keep the VIPs in place and leave the memory flat', async () => {
    const pid = a.pid();
    const c0 = cl.counts();
    const texts = [conf('a', { priority: 140, vips1: [VIP1], withVi2: false }), conf('a', { priority: 140, vips1: [VIP1, VIP1B], withVi2: false })];
    // Warm up (JIT, pools) before the first reading.
    for (let i = 0; i < 10; i++) await reload(a, texts[i % 2]!);
    const before = rssKb(pid);
    const t0 = Date.now();
    // RELOAD_SOAK=N runs a longer soak by hand (RSS printed every 200 reloads, to tell a leak from GC noise).
    const n = Number(process.env.RELOAD_SOAK ?? 200);
    const samples: number[] = [];
    for (let i = 0; i < n; i++) {
      await reload(a, texts[i % 2]!);
      if ((i + 1) % 200 === 0) samples.push(Math.round(rssKb(pid) / 1024));
    }
    const ms = Date.now() - t0;
    const after = rssKb(pid);
    console.log(`${n} reloads in ${ms} ms; RSS ${(before / 1024).toFixed(1)} MiB -> ${(after / 1024).toFixed(1)} MiB (every 200: ${samples.join(', ')} MiB)`);
    expect(after - before).toBeLessThan(20 * 1024);
    expect(mon.deleted(VIP1)).toBe(false);
    expect(cl.counts().failed).toBe(c0.failed);
    expect(has('a', VIP1)).toBe(true);
  }, 900_000);
});
