/**
 * Unit tests, VRRP layer: what a reload does to each instance (reload-plan.ts), from keepalived.conf texts
 * loaded as the daemon loads them. The namespace test (test/e2e/reload-netns.test.ts) checks the same plan
 * carried out on real sockets and addresses.
 */
import { describe, expect, it } from 'vitest';
import type { KeepalivedConfig } from '../../../src/config/model.js';
import type { VrrpInstance } from '../../../src/config/model/vrrp.js';
import {
  addedVips,
  planReload,
  reloadKey,
  resolvedInstance,
  retiringRemoves,
  sameTrackedDefinitions,
  type ReloadPlan,
  type Running,
} from '../../../src/vrrp/reload-plan.js';
import { load } from '../config/helpers.js';

function cfg(text: string): KeepalivedConfig {
  const r = load(text);
  expect(r.diags.filter((d) => d.severity === 'error' || d.severity === 'fatal')).toEqual([]);
  return r.config;
}

/** An instance block: name, interface, VRID, VIPs and extra lines. */
function inst(name: string, o: { iface?: string; vrid?: number; vips?: string[]; extra?: string } = {}): string {
  const vips = (o.vips ?? ['192.0.2.10/24']).map((v) => `    ${v}\n`).join('');
  return `vrrp_instance ${name} {\n  interface ${o.iface ?? 'eth0'}\n  virtual_router_id ${o.vrid ?? 51}\n  priority 100\n${o.extra ?? ''}  virtual_ipaddress {\n${vips}  }\n}\n`;
}

/** The runners a daemon started from `c` would hold (each runs the resolved definition). */
function running(c: KeepalivedConfig): Running[] {
  return c.vrrp.instances.map((i) => ({ inst: resolvedInstance(i, c) }));
}

/** The plan as names: step kind -> instance names (a resumed/kept step also names what it came from). */
function summary(p: ReloadPlan<Running>) {
  return {
    steps: p.steps.map((s) =>
      s.kind === 'keep' || s.kind === 'resume'
        ? `${s.kind} ${s.prev.inst.name}->${s.inst.name}`
        : s.kind === 'wait'
          ? `wait ${s.inst.name}${s.isNew ? ' (new)' : ''}`
          : `start ${s.inst.name}`,
    ),
    stop: p.stop.map((r) => r.inst.name),
  };
}

function plan(before: string, after: string, opts: { lacks?: (i: VrrpInstance) => boolean; waiting?: string[] } = {}) {
  const cur = cfg(before);
  const next = cfg(after);
  return summary(planReload(running(cur), cur, next, opts.lacks ?? (() => false), new Set(opts.waiting ?? [])));
}

describe('reload identity (keepalived vrrp_exist: VRID, family, interface)', () => {
  it('keys on VRID, family and interface only', () => {
    const [a, b] = cfg(inst('A') + inst('B', { vrid: 52 })).vrrp.instances;
    expect(reloadKey(a!)).toBe('51|inet|eth0');
    expect(reloadKey(b!)).toBe('52|inet|eth0');
    const [v6] = cfg(inst('C', { vips: ['2001:db8::10/64'] })).vrrp.instances;
    expect(reloadKey(v6!)).toBe('51|inet6|eth0');
  });

  it('an unchanged file keeps every instance; a comment on a line of its own changes nothing', () => {
    const text = inst('A') + inst('B', { vrid: 52, iface: 'eth1' });
    expect(plan(text, text)).toEqual({ steps: ['keep A->A', 'keep B->B'], stop: [] });
    expect(plan(text, `${inst('A')}${inst('B', { vrid: 52, iface: 'eth1' })}# a comment\n`)).toEqual({ steps: ['keep A->A', 'keep B->B'], stop: [] });
  });

  it('an instance whose lines moved is resumed, not kept: its keyword locations (instance.locs) are compared too', () => {
    // withoutLocs() drops `loc` keys only; VrrpInstance.locs maps keywords to file:line. Resuming keeps the
    // state (no election, no VIP removed), so moving lines costs new sockets and one advert, not a failover.
    expect(plan(inst('A'), `# a comment\n${inst('A')}`)).toEqual({ steps: ['resume A->A'], stop: [] });
  });

  it('a renamed instance with the same VRID, family and interface is the same instance (resumed, not restarted)', () => {
    expect(plan(inst('A'), inst('A2'))).toEqual({ steps: ['resume A->A2'], stop: [] });
  });

  it('another VRID, interface or family is another instance: the old one stops, the new one starts', () => {
    expect(plan(inst('A'), inst('A', { vrid: 52 }))).toEqual({ steps: ['start A'], stop: ['A'] });
    expect(plan(inst('A'), inst('A', { iface: 'eth1' }))).toEqual({ steps: ['start A'], stop: ['A'] });
    expect(plan(inst('A'), inst('A', { vips: ['2001:db8::10/64'] }))).toEqual({ steps: ['start A'], stop: ['A'] });
  });

  it('removed instances stop, new ones start, in the new file order', () => {
    expect(plan(inst('A') + inst('B', { vrid: 52 }), inst('A') + inst('C', { vrid: 53 }))).toEqual({ steps: ['keep A->A', 'start C'], stop: ['B'] });
    expect(plan(inst('A') + inst('B', { vrid: 52 }), inst('C', { vrid: 53 }) + inst('B', { vrid: 52 }))).toEqual({
      steps: ['start C', 'keep B->B'],
      stop: ['A'],
    });
  });
});

describe('kept or resumed', () => {
  it('changed VIPs, priority or advert_int: resumed (state carried, no election)', () => {
    expect(plan(inst('A'), inst('A', { vips: ['192.0.2.10/24', '192.0.2.11/24'] }))).toEqual({ steps: ['resume A->A'], stop: [] });
    expect(plan(inst('A'), inst('A', { extra: '  advert_int 2\n' }))).toEqual({ steps: ['resume A->A'], stop: [] });
    expect(plan(inst('A'), inst('A').replace('priority 100', 'priority 150'))).toEqual({ steps: ['resume A->A'], stop: [] });
  });

  it('a changed global default the instance inherits resumes it; one it overrides keeps it', () => {
    // The same number of lines either way, so the instance's lines do not move.
    const g = (on: boolean) => `global_defs {\n${on ? '  vrrp_higher_prio_send_advert\n' : '  router_id r1\n'}}\n`;
    expect(plan(g(false) + inst('A'), g(true) + inst('A'))).toEqual({ steps: ['resume A->A'], stop: [] });
    const own = inst('A', { extra: '  higher_prio_send_advert false\n' });
    expect(plan(g(false) + own, g(true) + own)).toEqual({ steps: ['keep A->A'], stop: [] });
  });

  const script = (interval: number, name = 'chk') => `vrrp_script ${name} {\n  script /bin/true\n  interval ${interval}\n  weight -20\n}\n`;
  const tracking = (name = 'chk') => inst('A', { extra: `  track_script {\n    ${name}\n  }\n` });

  it('unchanged track_scripts keep the instance (and its rise/fall state); a changed one resumes it', () => {
    expect(plan(script(1) + tracking(), script(1) + tracking())).toEqual({ steps: ['keep A->A'], stop: [] });
    expect(plan(script(1) + tracking(), script(2) + tracking())).toEqual({ steps: ['resume A->A'], stop: [] });
    // A script the instance does not track changing does not concern it.
    expect(plan(script(1) + script(1, 'other') + tracking(), script(1) + script(5, 'other') + tracking())).toEqual({ steps: ['keep A->A'], stop: [] });
  });

  it('track_file and track_process definitions count the same way', () => {
    const file = (w: number) => `track_file tf {\n  file /run/tf\n  weight ${w}\n}\n`;
    const byFile = inst('A', { extra: '  track_file {\n    tf\n  }\n' });
    expect(plan(file(1) + byFile, file(1) + byFile)).toEqual({ steps: ['keep A->A'], stop: [] });
    const cur = cfg(file(1) + byFile);
    const next = cfg(file(3) + byFile);
    expect(sameTrackedDefinitions(cur.vrrp.instances[0]!, cur, next)).toBe(false);
    const proc = (p: string) => `vrrp_track_process tp {\n  process ${p}\n  weight -10\n}\n`;
    const byProc = inst('A', { extra: '  track_process {\n    tp\n  }\n' });
    expect(plan(proc('haproxy') + byProc, proc('haproxy') + byProc)).toEqual({ steps: ['keep A->A'], stop: [] });
    expect(plan(proc('haproxy') + byProc, proc('nginx') + byProc)).toEqual({ steps: ['resume A->A'], stop: [] });
  });
});

describe('instances waiting for an address', () => {
  const lacksB = (i: VrrpInstance) => i.name === 'B';

  it('a new instance whose interface has no address waits; reported as new only if it was not waiting already', () => {
    expect(plan(inst('A'), inst('A') + inst('B', { vrid: 52 }), { lacks: lacksB })).toEqual({ steps: ['keep A->A', 'wait B (new)'], stop: [] });
    expect(plan(inst('A'), inst('A') + inst('B', { vrid: 52 }), { lacks: lacksB, waiting: ['52|inet|eth0'] })).toEqual({
      steps: ['keep A->A', 'wait B'],
      stop: [],
    });
  });

  it('an instance that runs is never put back to waiting (its address is not asked about)', () => {
    const asked: string[] = [];
    const p = plan(inst('B', { vrid: 52 }), inst('B', { vrid: 52, vips: ['192.0.2.20/24'] }), { lacks: (i) => (asked.push(i.name), true) });
    expect(p).toEqual({ steps: ['resume B->B'], stop: [] });
    expect(asked).toEqual([]);
  });
});

describe('address hand-over between a MASTER and its successor', () => {
  const key = (v: string) => v;
  const held = (vips: string[], routes: string[] = [], rules: string[] = []) => ({
    vips,
    routes: routes.map((r) => ({ words: r.split(' ') })),
    rules: rules.map((r) => ({ words: r.split(' ') })),
  });

  it('the retiring MASTER removes only what its MASTER successor does not hold', () => {
    const r = retiringRemoves(
      held(['a', 'b'], ['to 10.0.0.0/8 dev eth0', 'to 10.1.0.0/16 dev eth0'], ['from 10.0.0.1 table 5']),
      held(['b', 'c'], ['to 10.1.0.0/16 dev eth0'], ['from 10.0.0.1 table 5']),
      true,
      key,
    );
    expect(r).toEqual({ vips: ['a'], routes: [{ words: ['to', '10.0.0.0/8', 'dev', 'eth0'] }], rules: [] });
  });

  it('a successor that is not MASTER holds nothing: everything goes', () => {
    const r = retiringRemoves(held(['a', 'b'], ['to 10.0.0.0/8'], ['from 10.0.0.1']), held(['a', 'b'], ['to 10.0.0.0/8'], ['from 10.0.0.1']), false, key);
    expect(r.vips).toEqual(['a', 'b']);
    expect(r.routes).toHaveLength(1);
    expect(r.rules).toHaveLength(1);
  });

  it('the successor announces only the addresses that are new', () => {
    expect(addedVips(['a', 'b'], ['b', 'c', 'd'], key)).toEqual(['c', 'd']);
    expect(addedVips(['a'], ['a'], key)).toEqual([]);
  });
});
