/**
 * The checkers' fast path (realServerEntries + diffDests): for one real server changing health it must
 * leave exactly the table a full rebuild (desiredTable + diffTables) leaves, or decline (undefined) so the
 * caller rebuilds. Driven with seeded random health changes over configurations that exercise NAT, DR,
 * TUN, groups, inhibit_on_failure, sorry servers, shared services and servers sharing an address.
 */
import { describe, expect, it } from 'vitest';
import { desiredTable, healthView, realServerEntries, virtualServerIds, type HealthState, realServerId } from '../../../src/ipvs/desired.js';
import { applyOpsInPlace, applyOpsToTable, diffDests, diffTables } from '../../../src/ipvs/diff.js';
import type { IpvsTable } from '../../../src/ipvs/types.js';
import { load } from '../config/helpers.js';

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const flat = (t: IpvsTable) =>
  [...t.entries()]
    .map(
      ([k, e]) =>
        `${k} ${[...e.dests.values()]
          .map((d) => `${d.address}:${d.port}/${d.weight}/${d.fwd}`)
          .sort()
          .join(',')}`,
    )
    .sort();

const CONFIGS: Record<string, string> = {
  'NAT, one address many ports': `virtual_server 192.0.2.1 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 127.0.0.1 8001 { weight 2 }
  real_server 127.0.0.1 8002 { inhibit_on_failure }
  real_server 127.0.0.1 8003 { }
  real_server 203.0.113.11 80 { weight 5 }
}
`,
  'DR with a duplicate address, TUN, and a group': `virtual_server_group G {
  192.0.2.10-12 80
  fwmark 7
}
virtual_server group G {
  lb_algo wrr
  lb_kind DR
  protocol TCP
  real_server 203.0.113.11 80 { }
  real_server 203.0.113.11 8080 { }
  real_server 203.0.113.12 80 { inhibit_on_failure
    weight 3 }
}
virtual_server 192.0.2.20 80 {
  lb_algo rr
  lb_kind TUN
  protocol TCP
  real_server 203.0.113.21 80 { }
  real_server 203.0.113.22 80 { lb_kind DR }
}
`,
  'sorry server with quorum, and a service made twice': `virtual_server 192.0.2.30 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  quorum 2
  sorry_server 203.0.113.99 80
  real_server 203.0.113.31 80 { }
  real_server 203.0.113.32 80 { }
  real_server 203.0.113.99 80 { }
}
virtual_server 192.0.2.40 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 203.0.113.41 80 { }
}
virtual_server 192.0.2.40 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 203.0.113.42 80 { }
  real_server 203.0.113.41 80 { weight 9 }
}
`,
};

describe('health fast path = full rebuild', () => {
  for (const [name, text] of Object.entries(CONFIGS)) {
    it(name, () => {
      const { lvs } = load(text);
      const ids = virtualServerIds(lvs);
      const state: HealthState = { up: new Map(), weight: new Map(), quorumUp: new Map() };
      const view = healthView(state);
      for (const id of ids) state.quorumUp.set(id, true);
      let believed: IpvsTable = desiredTable(lvs, view).table;
      const random = rng(name.length);
      let fast = 0;
      let declined = 0;
      for (let step = 0; step < 400; step++) {
        const v = Math.floor(random() * lvs.virtualServers.length);
        const vs = lvs.virtualServers[v]!;
        const rs = vs.realServers[Math.floor(random() * vs.realServers.length)]!;
        const id = realServerId(ids[v]!, rs);
        if (random() < 0.7) state.up.set(id, !(state.up.get(id) ?? true));
        else state.weight.set(id, Math.floor(random() * 4));
        if (random() < 0.1) state.quorumUp.set(ids[v]!, random() < 0.6);
        const full = desiredTable(lvs, view).table;
        const entries = realServerEntries(lvs, v, rs, ids[v]!, view);
        const ops = entries && diffDests(entries, believed);
        if (!ops) {
          declined++;
          believed = applyOpsToTable(believed, diffTables(full, believed, { owned: new Set(full.keys()), flush: false }));
        } else {
          fast++;
          applyOpsInPlace(believed, ops);
        }
        expect(flat(believed), `step ${step}`).toEqual(flat(full));
      }
      expect(fast).toBeGreaterThan(0);
      if (name.startsWith('NAT')) expect(declined).toBe(0);
      else expect(declined).toBeGreaterThan(0);
    });
  }

  it('declines for servers sharing a DR entry, sorry twins, shared services, and unknown quorum', () => {
    const { lvs } = load(CONFIGS['sorry server with quorum, and a service made twice']!);
    const ids = virtualServerIds(lvs);
    const state: HealthState = { up: new Map(), weight: new Map(), quorumUp: new Map() };
    const view = healthView(state);
    const [a, , twin] = lvs.virtualServers[0]!.realServers;
    expect(realServerEntries(lvs, 0, a!, ids[0]!, view)).toBeUndefined(); // quorum not known yet
    state.quorumUp.set(ids[0]!, true);
    expect(realServerEntries(lvs, 0, a!, ids[0]!, view)).toHaveLength(1);
    expect(realServerEntries(lvs, 0, twin!, ids[0]!, view)).toBeUndefined();
    state.quorumUp.set(ids[0]!, false);
    expect(realServerEntries(lvs, 0, a!, ids[0]!, view)).toBeUndefined(); // the sorry server is in
    expect(realServerEntries(lvs, 1, lvs.virtualServers[1]!.realServers[0]!, ids[1]!, view)).toBeUndefined();
    const dr = load(CONFIGS['DR with a duplicate address, TUN, and a group']!).lvs;
    const drIds = virtualServerIds(dr);
    expect(realServerEntries(dr, 0, dr.virtualServers[0]!.realServers[0]!, drIds[0]!, view)).toBeUndefined();
    expect(realServerEntries(dr, 0, dr.virtualServers[0]!.realServers[2]!, drIds[0]!, view)).toHaveLength(4);
  });

  it('diffDests declines when a service is missing from the kernel table', () => {
    const { lvs } = load(CONFIGS['NAT, one address many ports']!);
    const ids = virtualServerIds(lvs);
    const view = healthView({ up: new Map(), weight: new Map(), quorumUp: new Map() });
    const e = realServerEntries(lvs, 0, lvs.virtualServers[0]!.realServers[0]!, ids[0]!, view)!;
    expect(diffDests(e, new Map())).toBeUndefined();
    expect(diffDests(e, desiredTable(lvs, view).table)).toEqual([]);
  });
});
