/**
 * Unit tests, daemon layer: a reload by difference (lvs-delta.ts, desiredSlice in ipvs/desired.ts) gives
 * what a whole reload gives. Random edits of a configuration with NAT, DR, fwmark, group, duplicate and
 * sorry-server virtual servers, one after another; at each step:
 *   - the checker process's list rebuilt from the difference equals the new list (file:line included);
 *   - the IPVS table after only the slice's requests, applied to the previous table, equals the table
 *     built from scratch for the new configuration (for the same real servers' health);
 *   - the slice is taken for the edits that touch one plain virtual server (so the test fails if the
 *     difference silently never applies).
 */
import { describe, expect, it } from 'vitest';
import type { KeepalivedConfig } from '../../../src/config/model.js';
import { applyVsDelta, reloadSlice, vsDelta } from '../../../src/daemon/lvs-delta.js';
import { desiredSlice, desiredTable, realServerId, virtualServerIds, type HealthView } from '../../../src/ipvs/desired.js';
import { applyOpsToTable, diffTables } from '../../../src/ipvs/diff.js';
import type { IpvsTable } from '../../../src/ipvs/types.js';
import { load } from '../config/helpers.js';
import { rng } from '../../helpers/rng.js';

interface Vs {
  head: string;
  algo: string;
  kind: 'NAT' | 'DR';
  extra: string[];
  rs: Array<{ ip: string; port: number; weight: number; inhibit: boolean }>;
}

const ipVs = (n: number, port: number, kind: 'NAT' | 'DR'): Vs => ({
  head: `198.51.100.${n} ${port}`,
  algo: 'wrr',
  kind,
  extra: [],
  rs: [1, 2, 3].map((r) => ({ ip: `203.0.113.${((n * 3 + r) % 250) + 1}`, port: 8080, weight: r, inhibit: false })),
});

function base(): { vss: Vs[]; group: string[]; top: string[] } {
  const vss: Vs[] = [ipVs(1, 80, 'NAT'), ipVs(2, 80, 'DR'), ipVs(3, 443, 'NAT'), ipVs(4, 80, 'DR')];
  vss[1]!.extra.push('quorum 3', 'sorry_server 192.0.2.99 80');
  vss[3]!.rs[0]!.inhibit = true;
  vss.push({ ...ipVs(5, 0, 'DR'), head: 'fwmark 7' });
  vss.push({ ...ipVs(6, 0, 'NAT'), head: 'group G' });
  return { vss, group: ['198.51.100.60 80', '198.51.100.61 80'], top: [] };
}

function render(w: ReturnType<typeof base>): string {
  const out = [...w.top, 'virtual_server_group G {', ...w.group.map((g) => `  ${g}`), '}'];
  for (const v of w.vss) {
    out.push(`virtual_server ${v.head} {`, `  lb_algo ${v.algo}`, `  lb_kind ${v.kind}`, '  protocol TCP', ...v.extra.map((e) => `  ${e}`));
    for (const r of v.rs) {
      out.push(`  real_server ${r.ip} ${r.port} {`, `    weight ${r.weight}`, ...(r.inhibit ? ['    inhibit_on_failure'] : []), '  }');
    }
    out.push('}');
  }
  return `${out.join('\n')}\n`;
}

type Edit = { name: string; plain: boolean; apply: (w: ReturnType<typeof base>, pick: (n: number) => number) => void };

/** Plain edits touch one virtual server that is neither a group nor a duplicate; the slice must be taken for those. */
const EDITS: Edit[] = [
  {
    name: 'weight',
    plain: true,
    apply: (w, pick) => {
      w.vss[pick(w.vss.length)]!.rs[0]!.weight += 1;
    },
  },
  {
    name: 'add real server',
    plain: true,
    apply: (w, pick) => {
      const v = w.vss[pick(w.vss.length)]!;
      v.rs.push({ ip: `192.0.2.${10 + pick(200)}`, port: 8080, weight: 1, inhibit: false });
    },
  },
  {
    name: 'remove real server',
    plain: true,
    apply: (w, pick) => {
      const v = w.vss[pick(w.vss.length)]!;
      if (v.rs.length > 1) v.rs.splice(pick(v.rs.length), 1);
    },
  },
  {
    name: 'scheduler',
    plain: true,
    apply: (w, pick) => {
      w.vss[pick(w.vss.length)]!.algo = ['rr', 'wrr', 'wlc', 'sh', 'lc'][pick(5)]!;
    },
  },
  {
    name: 'port',
    plain: true,
    apply: (w, pick) => {
      const v = w.vss[pick(w.vss.length)]!;
      if (/^198\./.test(v.head)) v.head = v.head.replace(/ \d+$/, ` ${1000 + pick(50)}`);
    },
  },
  { name: 'persistence', plain: true, apply: (w, pick) => void w.vss[pick(w.vss.length)]!.extra.push(`persistence_timeout ${60 + pick(100)}`) },
  { name: 'remove virtual server', plain: true, apply: (w, pick) => void (w.vss.length > 2 && w.vss.splice(pick(w.vss.length), 1)) },
  {
    name: 'add virtual server',
    plain: true,
    apply: (w, pick) => void w.vss.splice(pick(w.vss.length + 1), 0, ipVs(20 + pick(30), 80, pick(2) ? 'NAT' : 'DR')),
  },
  { name: 'duplicate virtual server', plain: false, apply: (w, pick) => void w.vss.push(structuredClone(w.vss[pick(w.vss.length)]!)) },
  { name: 'group entries', plain: false, apply: (w, pick) => void w.group.push(`198.51.100.${70 + pick(20)} 80`) },
  { name: 'comment above everything', plain: false, apply: (w) => void w.top.push('# moved') },
];

/** A health view with some real servers down (the same for both ways of building the table). */
function healthOf(cfg: KeepalivedConfig, down: (id: string) => boolean): HealthView {
  const ids = virtualServerIds(cfg.lvs);
  const set = new Set<string>();
  cfg.lvs.virtualServers.forEach((vs, v) => {
    for (const rs of vs.realServers) {
      const id = realServerId(ids[v]!, rs);
      if (down(id)) set.add(id);
    }
  });
  return { isUp: (id) => !set.has(id) };
}

const sorted = (t: IpvsTable) =>
  JSON.stringify([...t].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, e]) => [k, e.service, [...e.dests].sort(([a], [b]) => (a < b ? -1 : 1))]));

describe('reload by difference', () => {
  it('rebuilds the same list and the same IPVS table as a whole reload, over random edits', () => {
    let sliced = 0;
    let plainSteps = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const rand = rng(seed);
      const pick = (n: number) => Math.floor(rand() * n);
      const w = base();
      const cfg0 = load(render(w)).config;
      // The checker process's view: the list it holds, and the table it programmed.
      let held = cfg0;
      const downSeed = pick(1000);
      const down = (id: string) => (id.length * 31 + downSeed) % 5 === 0;
      let table = desiredTable(held.lvs, healthOf(held, down)).table;
      for (let step = 0; step < 12; step++) {
        const edit = EDITS[pick(EDITS.length)]!;
        edit.apply(w, pick);
        const next = load(render(w)).config;
        const d = vsDelta(held.lvs, next.lvs);
        const applied = applyVsDelta(held.lvs.virtualServers, d.vs)!;
        const where = `seed ${seed} step ${step} (${edit.name})`;
        expect(JSON.stringify(applied.list), where).toBe(JSON.stringify(next.lvs.virtualServers));
        const rebuilt: KeepalivedConfig = { ...next, lvs: { ...next.lvs, virtualServers: applied.list } };
        const health = healthOf(rebuilt, down);
        const whole = desiredTable(rebuilt.lvs, health).table;
        const slice = reloadSlice(held, rebuilt, applied.movedFrom);
        const part = slice && desiredSlice(rebuilt.lvs, slice.changed, slice.previous, slice.gone, health);
        if (part) {
          sliced++;
          const kernel: IpvsTable = new Map([...table].filter(([k]) => part.keys.has(k)));
          const ops = diffTables(part.table, kernel, { owned: new Set(table.keys()), flush: false });
          table = applyOpsToTable(table, ops);
          expect(sorted(table), where).toBe(sorted(whole));
          if (edit.name === 'weight') expect(slice.changed.length, where).toBeLessThanOrEqual(1);
        } else table = whole;
        if (edit.plain && !w.top.length && !/group G/.test(JSON.stringify(next.lvs.virtualServers.map((v) => v.kind)))) plainSteps++;
        held = rebuilt;
      }
    }
    // The slice must carry a good share of the steps, not fall back every time.
    expect(sliced).toBeGreaterThan(100);
    expect(plainSteps).toBeGreaterThan(0);
  });

  it('a one-weight edit of a large file is one virtual server sent and one destination changed', () => {
    const w = base();
    w.vss = Array.from({ length: 200 }, (_, i) => ipVs(i % 200, 1000 + i, 'DR'));
    const before = load(render(w)).config;
    w.vss[137]!.rs[1]!.weight = 9;
    const after = load(render(w)).config;
    const d = vsDelta(before.lvs, after.lvs);
    expect([d.changed, d.moved]).toEqual([1, 0]);
    expect(d.vs.filter((x) => typeof x !== 'number')).toHaveLength(1);
    const rebuilt: KeepalivedConfig = { ...after, lvs: { ...after.lvs, virtualServers: applyVsDelta(before.lvs.virtualServers, d.vs)!.list } };
    const slice = reloadSlice(before, rebuilt)!;
    expect(slice.changed).toEqual([137]);
    expect(slice.gone).toHaveLength(1);
    const all = { isUp: () => true };
    const part = desiredSlice(rebuilt.lvs, slice.changed, slice.previous, slice.gone, all)!;
    const table = desiredTable(before.lvs, all).table;
    const kernel: IpvsTable = new Map([...table].filter(([k]) => part.keys.has(k)));
    const ops = diffTables(part.table, kernel, { owned: new Set(table.keys()), flush: false });
    expect(ops.map((o) => `${o.op} ${'dest' in o ? o.dest.weight : ''}`)).toEqual(['set-dest 9']);
  });

  it('lines added above virtual servers move them without making them changed: only the edited one is replaced', () => {
    const w = base();
    const before = load(render(w)).config;
    w.vss[0]!.rs.push({ ip: '192.0.2.77', port: 8080, weight: 1, inhibit: false });
    const after = load(render(w)).config;
    const d = vsDelta(before.lvs, after.lvs);
    // Every virtual server after the first moved down three lines (the group one too): sent with their new
    // file:line, but not replaced.
    expect([d.changed, d.moved]).toEqual([after.lvs.virtualServers.length, after.lvs.virtualServers.length - 1]);
    const applied = applyVsDelta(before.lvs.virtualServers, d.vs)!;
    const rebuilt: KeepalivedConfig = { ...after, lvs: { ...after.lvs, virtualServers: applied.list } };
    expect(rebuilt.lvs.virtualServers.at(-1)!.loc.line).toBe(before.lvs.virtualServers.at(-1)!.loc.line + 3);
    const slice = reloadSlice(before, rebuilt, applied.movedFrom)!;
    expect(slice.changed).toEqual([0]);
    expect(slice.gone).toEqual([before.lvs.virtualServers[0]]);
    expect(desiredSlice(rebuilt.lvs, slice.changed, slice.previous, slice.gone, { isUp: () => true })).toBeDefined();
  });

  it('a difference on top of another list than the one it was made from is refused', () => {
    const w = base();
    const a = load(render(w)).config;
    w.vss.pop();
    w.vss.pop();
    const b = load(render(w)).config;
    const d = vsDelta(a.lvs, a.lvs);
    expect(applyVsDelta(b.lvs.virtualServers, d.vs)).toBeUndefined();
  });
});
