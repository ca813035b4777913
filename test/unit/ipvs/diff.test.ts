import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyOpsToTable, diffTables, teardownOps } from '../../../src/ipvs/diff.js';
import { destKey, FWD, serviceKey, type IpvsDest, type IpvsService, type IpvsTable } from '../../../src/ipvs/types.js';

const svc = (n: number, extra: Partial<IpvsService> = {}): IpvsService =>
  ({ af: 'inet', protocol: 'tcp', address: `192.0.2.${n}`, port: 80, scheduler: 'rr', flags: 0, timeoutS: 0, netmask: 0xffffffff, ...extra }) as IpvsService;
const dest = (n: number, weight = 1): IpvsDest => ({ af: 'inet', address: `198.51.100.${n}`, port: 80, fwd: FWD.MASQ, weight, uThreshold: 0, lThreshold: 0, tunType: 0, tunPort: 0, tunFlags: 0 });
function tbl(entries: Array<[IpvsService, IpvsDest[]]>): IpvsTable {
  return new Map(entries.map(([s, ds]) => [serviceKey(s), { service: s, dests: new Map(ds.map((d) => [destKey(d), d])) }]));
}
const none = { owned: new Set<string>(), flush: false };

describe('diffTables: the minimal change list', () => {
  it('an empty kernel gets each service followed by its destinations', () => {
    const ops = diffTables(tbl([[svc(1), [dest(1), dest(2)]]]), new Map(), none);
    expect(ops.map((o) => o.op)).toEqual(['new-service', 'new-dest', 'new-dest']);
  });

  it('a one-weight change is exactly one set-dest', () => {
    const before = tbl([[svc(1), [dest(1), dest(2)]], [svc(2), [dest(1)]]]);
    const after = tbl([[svc(1), [dest(1), dest(2, 7)]], [svc(2), [dest(1)]]]);
    const ops = diffTables(after, before, none);
    expect(ops).toEqual([{ op: 'set-dest', service: svc(1), dest: dest(2, 7) }]);
  });

  it('a scheduler change is a set-service; equal tables need nothing', () => {
    const k = tbl([[svc(1), [dest(1)]]]);
    expect(diffTables(tbl([[svc(1, { scheduler: 'wlc' }), [dest(1)]]]), k, none).map((o) => o.op)).toEqual(['set-service']);
    expect(diffTables(k, k, none)).toEqual([]);
  });

  it("services not desired are removed only when owned (or flushing); someone else's are left alone", () => {
    const k = tbl([[svc(1), [dest(1)]], [svc(9), [dest(9)]]]);
    const d = tbl([]);
    expect(diffTables(d, k, none)).toEqual([]);
    expect(diffTables(d, k, { owned: new Set([serviceKey(svc(1))]), flush: false })).toEqual([{ op: 'del-service', service: svc(1) }]);
    expect(diffTables(d, k, { owned: new Set(), flush: true }).length).toBe(2);
  });

  it('a desired service already in the kernel is adopted: extra destinations go, missing ones come', () => {
    const ops = diffTables(tbl([[svc(1), [dest(1), dest(3)]]]), tbl([[svc(1), [dest(1), dest(2)]]]), none);
    expect(ops.map((o) => `${o.op} ${'dest' in o ? o.dest.address : ''}`)).toEqual(['del-dest 198.51.100.2', 'new-dest 198.51.100.3']);
  });

  it('teardown removes only owned services that are still there', () => {
    const k = tbl([[svc(1), []], [svc(2), []]]);
    expect(teardownOps(k, new Set([serviceKey(svc(2)), serviceKey(svc(3))]))).toEqual([{ op: 'del-service', service: svc(2) }]);
  });

  it('property: applying the diff reaches the desired table, and a second diff is empty', () => {
    const arbTable = fc
      .array(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.constantFrom('rr', 'wlc'), fc.array(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 3 })), { maxLength: 5 })), { maxLength: 6 })
      .map((xs) => tbl(xs.map(([n, sched, ds]) => [svc(n, { scheduler: sched }), ds.map(([m, w]) => dest(m, w))])));
    fc.assert(
      fc.property(arbTable, arbTable, (desired, kernel) => {
        const owned = new Set(kernel.keys());
        const after = applyOpsToTable(kernel, diffTables(desired, kernel, { owned, flush: false }));
        expect(after).toEqual(desired);
        expect(diffTables(desired, after, { owned, flush: false })).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });
});
