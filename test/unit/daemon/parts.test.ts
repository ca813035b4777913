/**
 * Which processes a configuration needs and what each receives (src/daemon/parts.ts): the VRRP process
 * never sees the virtual servers, the checker process sees them and the track_files, and a change in one
 * part leaves the other part identical (so the supervisor sends a reload only where it matters).
 */
import { describe, expect, it } from 'vitest';
import { partFor, rolesFor } from '../../../src/daemon/parts.js';
import { withoutLocs } from '../../../src/daemon/vrrp.js';
import { instance, load, rs, STD, vs } from '../config/helpers.js';

const vrrpOnly = instance('  priority 100');
const withVs = (weight: number) =>
  vrrpOnly + 'vrrp_track_file tf {\n  file /tmp/tf\n}\n' + vs(`${STD}${rs(`    weight ${weight}\n    TCP_CHECK {\n      connect_timeout 1\n    }`)}`);

describe('configuration parts per process', () => {
  it('a VRRP-only file needs only the VRRP process; virtual servers add the checker process; -P/-C choose one', () => {
    expect(rolesFor(load(vrrpOnly).config, { vrrpOnly: false, checkOnly: false })).toEqual(['vrrp']);
    const both = load(withVs(1)).config;
    expect(rolesFor(both, { vrrpOnly: false, checkOnly: false })).toEqual(['vrrp', 'checkers']);
    expect(rolesFor(both, { vrrpOnly: true, checkOnly: false })).toEqual(['vrrp']);
    expect(rolesFor(both, { vrrpOnly: false, checkOnly: true })).toEqual(['checkers']);
  });

  it('the VRRP part has no virtual servers; the checker part has them, the track_files, and no instances', () => {
    const cfg = load(withVs(1)).config;
    const v = partFor('vrrp', cfg);
    expect(v.lvs.virtualServers).toEqual([]);
    expect(v.vrrp.instances).toHaveLength(1);
    const c = partFor('checkers', cfg);
    expect(c.lvs.virtualServers).toHaveLength(1);
    expect(c.vrrp.instances).toEqual([]);
    expect(c.vrrp.trackFiles.map((t) => t.name)).toEqual(['tf']);
    expect(c.global).toBe(cfg.global);
  });

  it('a weight changed leaves the VRRP part identical; a priority changed leaves the checker part identical', () => {
    const a = load(withVs(1)).config;
    const b = load(withVs(7)).config;
    expect(withoutLocs(partFor('vrrp', a))).toBe(withoutLocs(partFor('vrrp', b)));
    expect(withoutLocs(partFor('checkers', a))).not.toBe(withoutLocs(partFor('checkers', b)));
    const c = load(withVs(1).replace('priority 100', 'priority 120')).config;
    expect(withoutLocs(partFor('checkers', a))).toBe(withoutLocs(partFor('checkers', c)));
    expect(withoutLocs(partFor('vrrp', a))).not.toBe(withoutLocs(partFor('vrrp', c)));
  });

  it('a part crosses to a child process intact (structured clone, as the IPC channel sends it)', () => {
    const cfg = load(withVs(3)).config;
    for (const role of ['vrrp', 'checkers'] as const) expect(structuredClone(partFor(role, cfg))).toEqual(partFor(role, cfg));
  });
});

describe('per-process scheduling keywords', () => {
  it('vrrp_priority and checker_priority give each process its nice value; the real-time ones are reported, not applied', async () => {
    const { scheduling } = await import('../../../src/daemon/sched.js');
    const r = load('global_defs {\n  vrrp_priority -5\n  checker_priority 10\n  vrrp_rt_priority 50\n}\n' + instance());
    const g = r.global;
    expect(r.reports.map((d) => [d.line, d.message.split(' ')[0]])).toEqual([[4, 'vrrp_rt_priority']]);
    expect(scheduling('vrrp', g.other)).toEqual({ nice: -5 });
    expect(scheduling('checkers', g.other)).toEqual({ nice: 10 });
    expect(scheduling('vrrp', load(instance()).global.other)).toEqual({});
  });
});
