/**
 * Unit tests, checker layer: CheckerSubsystem's rules on a manual clock with fake probes and a fake
 * track_file watcher (no sockets, no sleeping): one probe fanned out to every virtual server that lists the
 * real server, the retry rule's timing, quorum lost and regained, FILE_CHECK weights, ha_suspend, and
 * checker state carried over a reload. test/integration/check-subsystem.test.ts runs real probes.
 */
import { describe, expect, it } from 'vitest';
import { CheckerSubsystem, type CheckerEdges, type FileWatch, type HealthSink } from '../../../src/check/index.js';
import type { ProbeOutcome } from '../../../src/check/probe.js';
import type { KeepalivedConfig } from '../../../src/config/model.js';
import type { Clock } from '../../../src/util/clock.js';
import { load } from '../config/helpers.js';
import { applyVsDelta, reloadSlice, vsDelta } from '../../../src/daemon/lvs-delta.js';

/** A clock that moves only when told; advance() runs the timers due in order and lets promises settle. */
class ManualClock implements Clock {
  t = 0;
  private seq = 0;
  /** BOUNDED by the timers the test's subsystem arms. */
  private timers: Array<{ at: number; seq: number; fn: () => void }> = [];
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const h = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(h);
    return h;
  }
  clearTimeout(h: unknown): void {
    this.timers = this.timers.filter((x) => x !== h);
  }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.fn();
    }
    this.t = end;
    await settle();
  }
}

/** Lets the probes' promise chains run (setImmediate runs after every pending microtask). */
const settle = () => new Promise<void>((r) => setImmediate(r));

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

function cfg(text: string): KeepalivedConfig {
  const r = load(text);
  expect(r.diags.filter((d) => d.severity === 'error' || d.severity === 'fatal')).toEqual([]);
  return r.config;
}

const RS = '203.0.113.11';
const tcp = `    TCP_CHECK {\n      connect_timeout 1\n      retry 1\n      delay_before_retry 0.5\n    }\n`;
const rs = (checks: string) => `  real_server ${RS} 80 {\n    weight 10\n${checks}  }\n`;
const vs = (addr: string, body: string, extra = '') =>
  `virtual_server ${addr} 80 {\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n${extra}${body}}\n`;
/** Two virtual servers listing the same real server with the same TCP_CHECK; the second adds a FILE_CHECK. */
const TWO =
  `track_file W {\n  file /run/tsk-w\n  weight 2\n}\n` +
  vs('192.0.2.10', rs(tcp), '  quorum 5\n') +
  vs('192.0.2.11', rs(tcp + `    FILE_CHECK {\n      track_file W\n    }\n`));
const VS1 = '[192.0.2.10]:tcp:80';
const VS2 = '[192.0.2.11]:tcp:80';
const RSID = `[${RS}]:tcp:80`;

/** A world of fake edges: which targets answer, the probes made and run, the track_files' values. */
function world() {
  const clock = new ManualClock();
  const down = new Set<string>();
  const created: string[] = [];
  const runs: Array<{ at: number; target: string }> = [];
  const files = new Map<string, { value: number; onChange: () => void }>();
  const edges: CheckerEdges = {
    clock,
    // warmup defaults to delay_loop: the first check falls a quarter of the way into it.
    random: () => 0.25,
    createProbe: (c) => {
      if (c.type !== 'TCP_CHECK') return undefined;
      const target = `${c.connection.connectIp}:${c.connection.connectPort}`;
      created.push(target);
      return async (): Promise<ProbeOutcome> => {
        runs.push({ at: clock.now(), target });
        return down.has(target) ? { ok: false, reason: `TCP connection to [${target}] failed: ECONNREFUSED`, ms: 0 } : { ok: true, ms: 0 };
      };
    },
    watchFile: (def, onChange): FileWatch => {
      const f = { value: 0, onChange };
      files.set(def.name, f);
      return {
        get value() {
          return f.value;
        },
        start: () => undefined,
        stop: () => undefined,
      };
    },
  };
  const setFile = (name: string, value: number) => {
    const f = files.get(name)!;
    f.value = value;
    f.onChange();
  };
  return { clock, down, created, runs, edges, setFile };
}

function view(sub: CheckerSubsystem) {
  const snap = sub.snapshot();
  const rsIn = (v: string) => snap.realServers.find((r) => r.virtualServer === v)!;
  const quorum = (v: string) => snap.virtualServers.find((x) => x.id === v)!.quorumUp;
  return { rsIn, quorum };
}

describe('CheckerSubsystem on a manual clock', () => {
  it('one probe serves every virtual server listing the real server, on a grid of delay_loop', async () => {
    const w = world();
    const sub = CheckerSubsystem.start(cfg(TWO), undefined, quiet, undefined, {}, w.edges);
    try {
      expect(w.created).toEqual([`${RS}:80`]);
      await w.clock.advance(10_000);
      // One probe, every second from its warmup: 10 checks in 10 s, not 20.
      expect(w.runs.map((r) => r.at)).toEqual([250, 1250, 2250, 3250, 4250, 5250, 6250, 7250, 8250, 9250]);
      expect(view(sub).rsIn(VS1)).toMatchObject({ alive: true, weight: 10 });
      expect(
        view(sub)
          .rsIn(VS2)
          .checkers.map((c) => [c.type, c.checks]),
      ).toEqual([
        ['TCP_CHECK', 10],
        ['FILE_CHECK', 0],
      ]);
    } finally {
      await sub.stop();
    }
  });

  it('retry 1: down after two failures in a row (delay_before_retry between), in both virtual servers; quorum lost; IPVS told', async () => {
    const w = world();
    const fifo: string[] = [];
    const pushes: Array<{ at: number; changed: unknown }> = [];
    const sink: HealthSink = {
      healthChanged: async (_c, _h, changed) => void pushes.push({ at: w.clock.now(), changed: changed === 'all' ? 'all' : changed.length }),
    };
    const sub = CheckerSubsystem.start(cfg(TWO), sink, quiet, undefined, { fifo: (l) => fifo.push(l) }, w.edges);
    try {
      await w.clock.advance(500); // first check at 250 ms (a quarter into the warmup): up
      expect(pushes).toEqual([{ at: 0, changed: 'all' }]); // the start's full view
      w.down.add(`${RS}:80`);
      await w.clock.advance(1000); // the check at 1.25 s fails (failure 1 of 2): still up
      expect(view(sub).rsIn(VS1).alive).toBe(true);
      expect(fifo).toEqual([]);
      await w.clock.advance(500); // the retry at 1.75 s fails: down
      expect(w.runs.map((r) => r.at)).toEqual([250, 1250, 1750]);
      expect(view(sub).rsIn(VS1).alive).toBe(false);
      expect(view(sub).rsIn(VS2).alive).toBe(false);
      expect(view(sub).quorum(VS1)).toBe(false);
      expect(view(sub).quorum(VS2)).toBe(false); // keepalived's default quorum 1
      expect(fifo).toEqual([`RS ${RSID} ${VS1} DOWN`, `RS ${RSID} ${VS2} DOWN`, `VS ${VS1} DOWN`, `VS ${VS2} DOWN`]);
      expect(pushes.at(-1)).toEqual({ at: 1750, changed: 'all' }); // quorum moved: the whole table
      // Checking goes on while down: the first check after going down comes delay_loop later.
      await w.clock.advance(1000);
      expect(w.runs.map((r) => r.at)).toEqual([250, 1250, 1750, 2750]);
    } finally {
      await sub.stop();
    }
  });

  it('a reload with unchanged checkers keeps them running with their state (a down server stays down, nothing flaps, quorum kept); it comes back on its next success', async () => {
    const w = world();
    const fifo: string[] = [];
    let sub = CheckerSubsystem.start(cfg(TWO), undefined, quiet, undefined, { fifo: (l) => fifo.push(l) }, w.edges);
    try {
      w.down.add(`${RS}:80`);
      await w.clock.advance(1800);
      expect(view(sub).rsIn(VS1).alive).toBe(false);
      fifo.length = 0;
      const runsBefore = w.runs.length;
      sub = await sub.reload(cfg(TWO));
      await w.clock.advance(0);
      expect(view(sub).rsIn(VS1).alive).toBe(false);
      expect(view(sub).quorum(VS1)).toBe(false);
      // Nothing flapped and the quorum states were kept (keepalived copies them to the new configuration):
      // not a line. The probe was not made again and did not check at the reload.
      expect(fifo).toEqual([]);
      expect(w.created).toEqual([`${RS}:80`]);
      expect(w.runs.length).toBe(runsBefore);
      w.down.delete(`${RS}:80`);
      await w.clock.advance(1000);
      expect(view(sub).rsIn(VS1).alive).toBe(true);
      expect(view(sub).quorum(VS1)).toBe(true);
      expect(fifo).toEqual([`RS ${RSID} ${VS1} UP`, `RS ${RSID} ${VS2} UP`, `VS ${VS1} UP`, `VS ${VS2} UP`]);
    } finally {
      await sub.stop();
    }
  });

  it('a reload keeps the schedule of kept probes, starts new ones, and ends the removed ones', async () => {
    const w = world();
    const other = '203.0.113.12';
    const withOther = TWO + vs('192.0.2.12', rs(tcp).replace(RS, other));
    let sub = CheckerSubsystem.start(cfg(TWO), undefined, quiet, undefined, {}, w.edges);
    try {
      await w.clock.advance(1000); // first check at 250 ms
      sub = await sub.reload(cfg(withOther));
      expect(w.created).toEqual([`${RS}:80`, `${other}:80`]);
      await w.clock.advance(2000);
      // The kept probe stays on its grid (1250, 2250); the new one starts a quarter into its warmup.
      expect(w.runs.filter((r) => r.target === `${RS}:80`).map((r) => r.at)).toEqual([250, 1250, 2250]);
      expect(w.runs.filter((r) => r.target === `${other}:80`).map((r) => r.at)).toEqual([1250, 2250]);
      sub = await sub.reload(cfg(TWO));
      await w.clock.advance(2000);
      expect(w.runs.filter((r) => r.target === `${other}:80`).map((r) => r.at)).toEqual([1250, 2250]);
      expect(view(sub).rsIn('[192.0.2.12]:tcp:80')).toBeUndefined();
    } finally {
      await sub.stop();
    }
  });

  it('a reload that changes a checker starts it afresh (up, without alpha)', async () => {
    const w = world();
    let sub = CheckerSubsystem.start(cfg(TWO), undefined, quiet, undefined, {}, w.edges);
    try {
      w.down.add(`${RS}:80`);
      await w.clock.advance(1800);
      expect(view(sub).rsIn(VS1).alive).toBe(false);
      sub = await sub.reload(cfg(TWO.replaceAll('delay_before_retry 0.5', 'delay_before_retry 0.4')));
      await w.clock.advance(0);
      expect(view(sub).rsIn(VS1).alive).toBe(true);
    } finally {
      await sub.stop();
    }
  });

  it("FILE_CHECK: value x weight is added to the real server's weight in its virtual server only; the bottom of the range takes it down", async () => {
    const w = world();
    const sub = CheckerSubsystem.start(cfg(TWO), undefined, quiet, undefined, {}, w.edges);
    try {
      w.setFile('W', 3);
      expect(view(sub).rsIn(VS2).weight).toBe(16);
      expect(view(sub).rsIn(VS1).weight).toBe(10);
      w.setFile('W', -2_000_000_000);
      expect(view(sub).rsIn(VS2).alive).toBe(false);
      expect(view(sub).rsIn(VS1).alive).toBe(true);
      w.setFile('W', 0);
      expect(view(sub).rsIn(VS2)).toMatchObject({ alive: true, weight: 10 });
    } finally {
      await sub.stop();
    }
  });

  it('ha_suspend: no checks while the virtual address is not held; they resume once it is', async () => {
    const w = world();
    let held = false;
    const text = vs('192.0.2.20', rs(tcp), '  ha_suspend\n');
    const sub = CheckerSubsystem.start(cfg(text), undefined, quiet, undefined, { isLocal: (a) => held && a === '192.0.2.20' }, w.edges);
    try {
      await w.clock.advance(3000);
      expect(w.runs).toEqual([]);
      held = true;
      await w.clock.advance(1000);
      expect(w.runs.length).toBe(1);
      await w.clock.advance(2000);
      expect(w.runs.length).toBe(3);
    } finally {
      await sub.stop();
    }
  });

  it('a reload by difference leaves the same servers, states and quorums as a whole reload, over random edits', async () => {
    // Virtual servers sharing real servers (one probe fanned out), some down, edited at random; twin
    // subsystems on one clock take each new file, one by difference, one whole, and must agree.
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const pick = (n: number) => Math.floor(rand() * n);
    type V = { addr: string; rs: Array<{ ip: string; w: number; t: number }> };
    let vss: V[] = Array.from({ length: 8 }, (_, i) => ({
      addr: `192.0.2.${20 + i}`,
      rs: [0, 1, 2].map((r) => ({ ip: `203.0.113.${10 + ((i + r) % 6)}`, w: 1 + r, t: 1 })),
    }));
    let top = '';
    const text = () =>
      top +
      vss
        .map(
          (v) =>
            `virtual_server ${v.addr} 80 {\n  delay_loop 1\n  quorum 3\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n` +
            v.rs
              .map(
                (r) =>
                  `  real_server ${r.ip} 80 {\n    weight ${r.w}\n    TCP_CHECK {\n      connect_timeout ${r.t}\n      retry 0\n      delay_before_retry 0.5\n    }\n  }\n`,
              )
              .join('') +
            '}\n',
        )
        .join('');
    const w = world();
    for (let i = 10; i < 16; i += 2) w.down.add(`203.0.113.${i}:80`);
    let held = cfg(text());
    let a = CheckerSubsystem.start(held, undefined, quiet, undefined, {}, w.edges);
    let b = CheckerSubsystem.start(held, undefined, quiet, undefined, {}, w.edges);
    const norm = (sub: CheckerSubsystem) => {
      const snap = sub.snapshot();
      return {
        rs: snap.realServers
          .map((r) => `${r.key} ${r.virtualServer} alive=${r.alive} w=${r.weight} ${r.checkers.map((c) => `${c.type}:${c.up}`).join(',')}`)
          .sort(),
        vs: snap.virtualServers.map((v) => `${v.key} ${v.id} ${v.quorumUp}`).sort(),
      };
    };
    const edits: Array<() => void> = [
      () => {
        vss[pick(vss.length)]!.rs[0]!.w += 1;
      },
      () => {
        const v = vss[pick(vss.length)]!;
        const ip = `203.0.113.${10 + pick(8)}`;
        if (!v.rs.some((r) => r.ip === ip)) v.rs.push({ ip, w: 2, t: 1 });
      },
      () => void vss[pick(vss.length)]!.rs.splice(0, 1),
      () => {
        vss[pick(vss.length)]!.rs[0]!.t = 2;
      },
      () => void (vss.length > 3 && vss.splice(pick(vss.length), 1)),
      () => void vss.splice(pick(vss.length + 1), 0, { addr: `192.0.2.${40 + pick(40)}`, rs: [{ ip: `203.0.113.${10 + pick(8)}`, w: 1, t: 1 }] }),
      () => {
        top += '# moved\n';
      },
      () => {
        const i = 10 + pick(8);
        const t = `203.0.113.${i}:80`;
        if (w.down.has(t)) w.down.delete(t);
        else w.down.add(t);
      },
    ];
    try {
      await w.clock.advance(2000);
      let sliced = 0;
      for (let step = 0; step < 60; step++) {
        edits[pick(edits.length)]!();
        vss = vss.filter((v) => v.rs.length > 0);
        const next = cfg(text());
        const d = vsDelta(held.lvs, next.lvs);
        const applied = applyVsDelta(held.lvs.virtualServers, d.vs)!;
        const rebuilt: KeepalivedConfig = { ...next, lvs: { ...next.lvs, virtualServers: applied.list } };
        const slice = reloadSlice(held, rebuilt, applied.movedFrom);
        if (slice) sliced++;
        a = await a.reload(rebuilt, { push: false, ...(slice ? { slice } : {}) });
        b = await b.reload(rebuilt);
        held = rebuilt;
        expect(norm(a), `step ${step}`).toEqual(norm(b));
        await w.clock.advance(1500);
        expect(norm(a), `step ${step}, later`).toEqual(norm(b));
      }
      expect(sliced).toBeGreaterThan(30);
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
