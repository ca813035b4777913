/**
 * The reconciler: examples, ordering, teardown, the kernel's answers (applyOpsToTable), reloads of real
 * configurations, and fast-check properties (reaching the desired table, idempotence, no redundant op,
 * exact op count, one weight = one request).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { desiredTable } from '../../../src/ipvs/desired.js';
import { applyOpsToTable, diffTables, teardownMode, teardownOps } from '../../../src/ipvs/diff.js';
import { destKey, FWD, serviceKey, SVC_F, type IpvsDest, type IpvsOp, type IpvsService, type IpvsTable } from '../../../src/ipvs/types.js';
import { load, rs, STD, vs } from '../config/helpers.js';

const svc = (n: number, extra: Partial<IpvsService> = {}): IpvsService =>
  ({ af: 'inet', protocol: 'tcp', address: `192.0.2.${n}`, port: 80, scheduler: 'rr', flags: 0, timeoutS: 0, netmask: 0xffffffff, ...extra }) as IpvsService;
const dest = (n: number, weight = 1, extra: Partial<IpvsDest> = {}): IpvsDest => ({
  af: 'inet',
  address: `198.51.100.${n}`,
  port: 80,
  fwd: FWD.MASQ,
  weight,
  uThreshold: 0,
  lThreshold: 0,
  tunType: 0,
  tunPort: 0,
  tunFlags: 0,
  ...extra,
});
function tbl(entries: Array<[IpvsService, IpvsDest[]]>): IpvsTable {
  return new Map(entries.map(([s, ds]) => [serviceKey(s), { service: s, dests: new Map(ds.map((d) => [destKey(d), d])) }]));
}
const none = { owned: new Set<string>(), flush: false };
const names = (ops: IpvsOp[]) => ops.map((o) => `${o.op} ${serviceKey(o.service)}${'dest' in o ? ` ${o.dest.address}` : ''}`);

describe('diffTables: examples', () => {
  it('an empty kernel gets each service followed by its destinations', () => {
    const ops = diffTables(
      tbl([
        [svc(1), [dest(1), dest(2)]],
        [svc(2), [dest(3)]],
      ]),
      new Map(),
      none,
    );
    expect(names(ops)).toEqual([
      'new-service tcp|inet|192.0.2.1|80',
      'new-dest tcp|inet|192.0.2.1|80 198.51.100.1',
      'new-dest tcp|inet|192.0.2.1|80 198.51.100.2',
      'new-service tcp|inet|192.0.2.2|80',
      'new-dest tcp|inet|192.0.2.2|80 198.51.100.3',
    ]);
  });

  it('a one-weight change is exactly one set-dest carrying the whole destination', () => {
    const before = tbl([
      [svc(1), [dest(1), dest(2)]],
      [svc(2), [dest(1)]],
    ]);
    const after = tbl([
      [svc(1), [dest(1), dest(2, 7)]],
      [svc(2), [dest(1)]],
    ]);
    expect(diffTables(after, before, none)).toEqual([{ op: 'set-dest', service: svc(1), dest: dest(2, 7) }]);
  });

  it('each compared service field makes a set-service; equal tables need nothing', () => {
    const k = tbl([[svc(1), [dest(1)]]]);
    const changes: Array<Partial<IpvsService>> = [
      { scheduler: 'wlc' },
      { flags: SVC_F.PERSISTENT },
      { timeoutS: 60 },
      { netmask: 0xffffff00 },
      { peName: 'sip' },
    ];
    for (const c of changes) expect(diffTables(tbl([[svc(1, c), [dest(1)]]]), k, none)).toEqual([{ op: 'set-service', service: svc(1, c) }]);
    expect(diffTables(k, k, none)).toEqual([]);
  });

  it('each compared destination field makes a set-dest; tunnel fields count only for TUN', () => {
    const k = tbl([[svc(1), [dest(1)]]]);
    for (const c of [{ fwd: FWD.DROUTE }, { uThreshold: 9 }, { lThreshold: 1, uThreshold: 2 }] as Array<Partial<IpvsDest>>) {
      expect(diffTables(tbl([[svc(1), [dest(1, 1, c)]]]), k, none).map((o) => o.op)).toEqual(['set-dest']);
    }
    // A kernel may report stale tunnel fields on a NAT destination: nothing to change.
    expect(diffTables(k, tbl([[svc(1), [dest(1, 1, { tunType: 1, tunPort: 6080 })]]]), none)).toEqual([]);
    const tun = (extra: Partial<IpvsDest>) => tbl([[svc(1), [dest(1, 1, { fwd: FWD.TUNNEL, ...extra })]]]);
    expect(diffTables(tun({ tunType: 1, tunPort: 6080 }), tun({}), none).map((o) => o.op)).toEqual(['set-dest']);
    expect(diffTables(tun({ tunFlags: 1 }), tun({}), none).map((o) => o.op)).toEqual(['set-dest']);
  });

  it("services not desired go only when owned (or when flushing); someone else's are left alone", () => {
    const k = tbl([
      [svc(1), [dest(1)]],
      [svc(9), [dest(9)]],
    ]);
    expect(diffTables(new Map(), k, none)).toEqual([]);
    expect(diffTables(new Map(), k, { owned: new Set([serviceKey(svc(1))]), flush: false })).toEqual([{ op: 'del-service', service: svc(1) }]);
    expect(names(diffTables(new Map(), k, { owned: new Set(), flush: true }))).toEqual([
      'del-service tcp|inet|192.0.2.1|80',
      'del-service tcp|inet|192.0.2.9|80',
    ]);
  });

  it('a desired service already in the kernel is adopted: settings fixed, extra destinations out, missing ones in', () => {
    const ops = diffTables(tbl([[svc(1), [dest(1, 2), dest(3)]]]), tbl([[svc(1, { scheduler: 'sh' }), [dest(1, 5), dest(2)]]]), none);
    expect(names(ops)).toEqual([
      'set-service tcp|inet|192.0.2.1|80',
      'del-dest tcp|inet|192.0.2.1|80 198.51.100.2',
      'set-dest tcp|inet|192.0.2.1|80 198.51.100.1',
      'new-dest tcp|inet|192.0.2.1|80 198.51.100.3',
    ]);
  });

  it('services are deleted before anything is created', () => {
    const ops = diffTables(tbl([[svc(2), [dest(1)]]]), tbl([[svc(1), [dest(1)]]]), { owned: new Set([serviceKey(svc(1))]), flush: false });
    expect(ops.map((o) => o.op)).toEqual(['del-service', 'new-service', 'new-dest']);
  });
});

describe('teardownOps: lvs_flush_on_stop', () => {
  const k = tbl([
    [svc(1), [dest(1)]],
    [svc(2), []],
    [svc(3, { scheduler: 'sh' }), [dest(3)]],
  ]);
  const owned = new Set([serviceKey(svc(2)), serviceKey(svc(1)), serviceKey(svc(7))]);

  it('default and VS: the configured (owned) services still there, whole; others stay', () => {
    for (const mode of ['owned', 'vs'] as const)
      expect(names(teardownOps(k, owned, mode))).toEqual(['del-service tcp|inet|192.0.2.1|80', 'del-service tcp|inet|192.0.2.2|80']);
    expect(teardownOps(k, owned)).toEqual(teardownOps(k, owned, 'owned'));
  });

  it('full: every service in the kernel', () => {
    expect(teardownOps(k, new Set(), 'full')).toHaveLength(3);
    expect(applyOpsToTable(k, teardownOps(k, new Set(), 'full')).size).toBe(0);
  });

  it('teardownMode maps global_defs lvs_flush_on_stop', () => {
    expect([undefined, 'vs', 'full'].map((m) => teardownMode(m as 'vs' | 'full' | undefined))).toEqual(['owned', 'vs', 'full']);
    expect(teardownMode(load('global_defs {\n  lvs_flush_on_stop VS\n}\n').global.lvsFlushOnStop)).toBe('vs');
  });
});

describe('applyOpsToTable: the kernel answers', () => {
  it('NEW on an existing entry (EEXIST) and SET/DEL on a missing one (ENOENT) change nothing', () => {
    const k = tbl([[svc(1), [dest(1)]]]);
    const ops: IpvsOp[] = [
      { op: 'new-service', service: svc(1, { scheduler: 'wlc' }) },
      { op: 'new-dest', service: svc(1), dest: dest(1, 9) },
      { op: 'set-service', service: svc(2) },
      { op: 'set-dest', service: svc(1), dest: dest(2) },
      { op: 'new-dest', service: svc(3), dest: dest(3) },
      { op: 'del-dest', service: svc(1), dest: dest(4) },
      { op: 'del-service', service: svc(5) },
    ];
    expect(applyOpsToTable(k, ops)).toEqual(k);
  });

  it('does not modify its input', () => {
    const k = tbl([[svc(1), [dest(1)]]]);
    applyOpsToTable(k, [
      { op: 'del-dest', service: svc(1), dest: dest(1) },
      { op: 'set-service', service: svc(1, { scheduler: 'wlc' }) },
    ]);
    expect(k).toEqual(tbl([[svc(1), [dest(1)]]]));
  });
});

describe('reloading real configurations', () => {
  const conf = (w1: number, extra = '') => vs(`${STD}${rs(`  weight ${w1}`)}\n${rs('', '203.0.113.12 80')}${extra}`) + vs(`${STD}${rs()}`, '192.0.2.2 80');
  const tableOf = (text: string) => desiredTable(load(text).lvs).table;

  it('one weight changed in keepalived.conf: one set-dest', () => {
    const ops = diffTables(tableOf(conf(5)), tableOf(conf(1)), { owned: new Set(tableOf(conf(1)).keys()), flush: false });
    expect(names(ops)).toEqual(['set-dest tcp|inet|192.0.2.1|80 203.0.113.11']);
  });

  it('a real server added: one new-dest; a virtual server removed: one del-service', () => {
    const before = tableOf(conf(1));
    expect(names(diffTables(tableOf(conf(1, `\n${rs('', '203.0.113.13 80')}`)), before, none))).toEqual(['new-dest tcp|inet|192.0.2.1|80 203.0.113.13']);
    const one = tableOf(vs(`${STD}${rs()}\n${rs('', '203.0.113.12 80')}`));
    expect(names(diffTables(one, before, { owned: new Set(before.keys()), flush: false }))).toEqual(['del-service tcp|inet|192.0.2.2|80']);
  });
});

// ---- properties ---------------------------------------------------------------------------------

const arbService = fc
  .record({
    n: fc.integer({ min: 0, max: 7 }),
    scheduler: fc.constantFrom('rr', 'wlc', 'sh'),
    persistent: fc.boolean(),
    pe: fc.boolean(),
  })
  .map(({ n, scheduler, persistent, pe }): IpvsService => {
    const common = { scheduler, flags: persistent ? SVC_F.PERSISTENT : 0, timeoutS: persistent ? 300 : 0, ...(persistent && pe ? { peName: 'sip' } : {}) };
    if (n >= 6) return { af: n === 6 ? 'inet' : 'inet6', fwmark: 10, ...common, netmask: n === 6 ? 0xffffffff : 128 };
    if (n >= 4) return { af: 'inet6', protocol: 'udp', address: `2001:db8::${n}`, port: 53, ...common, netmask: 128 };
    return { af: 'inet', protocol: 'tcp', address: `192.0.2.${n}`, port: 80, ...common, netmask: persistent ? 0xffffff00 : 0xffffffff };
  });
const arbDest = fc
  .record({
    n: fc.integer({ min: 1, max: 6 }),
    weight: fc.integer({ min: 0, max: 3 }),
    fwd: fc.constantFrom(FWD.MASQ, FWD.DROUTE, FWD.TUNNEL),
    tun: fc.integer({ min: 0, max: 2 }),
    u: fc.integer({ min: 0, max: 2 }),
  })
  .map(({ n, weight, fwd, tun, u }) => dest(n, weight, { fwd, uThreshold: u, ...(fwd === FWD.TUNNEL ? { tunType: tun, tunPort: tun === 1 ? 6080 : 0 } : {}) }));
const arbTable = fc.array(fc.tuple(arbService, fc.array(arbDest, { maxLength: 5 })), { maxLength: 6 }).map(tbl);

/** The table `ops` should lead to: the desired services, plus the kernel's that are neither desired nor to be removed. */
function target(desired: IpvsTable, kernel: IpvsTable, owned: ReadonlySet<string>, flush: boolean): IpvsTable {
  const out: IpvsTable = new Map(desired);
  for (const [key, e] of kernel) if (!desired.has(key) && !flush && !owned.has(key)) out.set(key, e);
  return out;
}
/** Tables compared as sets (the Map order is the kernel's business). */
const canonical = (t: IpvsTable) => [...t].map(([k, e]) => [k, e.service, [...e.dests].sort()] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
const arbCase = fc.tuple(arbTable, arbTable, fc.func(fc.boolean()), fc.boolean()).map(([desired, kernel, own, flush]) => ({
  desired,
  kernel,
  owned: new Set([...kernel.keys()].filter((k) => own(k))),
  flush,
}));

describe('diffTables: properties', () => {
  it('applying the diff reaches the desired table (keeping what is not ours), and a second diff is empty', () => {
    fc.assert(
      fc.property(arbCase, ({ desired, kernel, owned, flush }) => {
        const after = applyOpsToTable(kernel, diffTables(desired, kernel, { owned, flush }));
        expect(canonical(after)).toEqual(canonical(target(desired, kernel, owned, flush)));
        expect(diffTables(desired, after, { owned, flush })).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('no op is redundant, and there is exactly one per differing service or destination', () => {
    fc.assert(
      fc.property(arbCase, ({ desired, kernel, owned, flush }) => {
        const ops = diffTables(desired, kernel, { owned, flush });
        const goal = canonical(target(desired, kernel, owned, flush));
        for (let i = 0; i < ops.length; i++)
          expect(
            canonical(
              applyOpsToTable(
                kernel,
                ops.filter((_, j) => j !== i),
              ),
            ),
          ).not.toEqual(goal);
        let needed = 0;
        for (const key of kernel.keys()) if (!desired.has(key) && (flush || owned.has(key))) needed++;
        for (const [key, d] of desired) {
          const k = kernel.get(key);
          if (!k) needed += 1 + d.dests.size;
          else {
            if (
              JSON.stringify(canonical(new Map([[key, { service: d.service, dests: new Map() }]]))) !==
              JSON.stringify(canonical(new Map([[key, { service: k.service, dests: new Map() }]])))
            )
              needed++;
            for (const dk of new Set([...d.dests.keys(), ...k.dests.keys()])) if (JSON.stringify(d.dests.get(dk)) !== JSON.stringify(k.dests.get(dk))) needed++;
          }
        }
        expect(ops).toHaveLength(needed);
      }),
      { numRuns: 300 },
    );
  });

  it('order: deletions of services first; a new service before its destinations; nothing on a deleted service', () => {
    fc.assert(
      fc.property(arbCase, ({ desired, kernel, owned, flush }) => {
        const ops = diffTables(desired, kernel, { owned, flush });
        const firstOther = ops.findIndex((o) => o.op !== 'del-service');
        if (firstOther >= 0) expect(ops.slice(firstOther).some((o) => o.op === 'del-service')).toBe(false);
        const created = new Set<string>();
        const deleted = new Set<string>();
        for (const o of ops) {
          const key = serviceKey(o.service);
          if (o.op === 'new-service') created.add(key);
          else if (o.op === 'del-service') deleted.add(key);
          else {
            expect(deleted.has(key)).toBe(false);
            if (o.op === 'new-dest' && !kernel.has(key)) expect(created.has(key)).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('one weight changed anywhere: exactly one set-dest', () => {
    fc.assert(
      fc.property(arbTable, fc.nat(), fc.integer({ min: 4, max: 100 }), (kernel, pick, weight) => {
        const all = [...kernel.values()].flatMap((e) => [...e.dests.values()].map((d) => [e, d] as const));
        fc.pre(all.length > 0);
        const [e, d] = all[pick % all.length]!;
        const desired: IpvsTable = new Map([...kernel].map(([k, x]) => [k, { service: x.service, dests: new Map(x.dests) }]));
        desired.get(serviceKey(e.service))!.dests.set(destKey(d), { ...d, weight });
        expect(diffTables(desired, kernel, { owned: new Set(kernel.keys()), flush: false })).toEqual([
          { op: 'set-dest', service: e.service, dest: { ...d, weight } },
        ]);
      }),
      { numRuns: 300 },
    );
  });
});
