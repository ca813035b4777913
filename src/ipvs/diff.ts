/**
 * IPVS layer, pure: the reconciler. A desired table (desired.ts) and the kernel's (a dump, or what this
 * process believes it programmed) -> the minimal ordered list of NEW/SET/DEL requests turning one into
 * the other, plus what the kernel answers to them (applyOpsToTable) and what to remove at stop.
 *
 * Ownership: a service no longer desired is removed only when this process owns it (it was in a desired
 * table this process programmed: created or adopted) or when flushing; services someone else made are
 * left alone. A desired service that already exists is adopted and made equal to the desired one: only
 * the fields that differ are changed, and destinations keepalived.conf does not list are removed.
 * (keepalived 2.2.7 leaves such a service as it finds it - scheduler, weights, foreign destinations -
 * because its ADD fails with EEXIST; verified in the VM lab. Reconciling is the point of this module.)
 *
 * Order: deletions of services first, then service by service in the desired table's order:
 * NEW_SERVICE before its NEW_DESTs; or SET_SERVICE, the DEL_DESTs, then NEW_DEST/SET_DEST in the
 * desired order.
 */
import type { DestEntry } from './desired.js';
import { destKey, FWD, serviceKey, type IpvsDest, type IpvsOp, type IpvsService, type IpvsTable } from './types.js';

/** The service fields SET_SERVICE can change (the key - af, protocol/address/port or fwmark - cannot). */
export function sameService(a: IpvsService, b: IpvsService): boolean {
  return a.scheduler === b.scheduler && a.flags === b.flags && a.timeoutS === b.timeoutS && a.netmask === b.netmask && (a.peName ?? '') === (b.peName ?? '');
}

/** The destination fields SET_DEST can change; the tunnel ones count only for TUN forwarding. */
export function sameDest(a: IpvsDest, b: IpvsDest): boolean {
  if (a.fwd !== b.fwd || a.weight !== b.weight || a.uThreshold !== b.uThreshold || a.lThreshold !== b.lThreshold) return false;
  return a.fwd !== FWD.TUNNEL || (a.tunType === b.tunType && a.tunPort === b.tunPort && a.tunFlags === b.tunFlags);
}

export interface DiffOptions {
  /** serviceKey()s this process programmed earlier (created or adopted). */
  owned: ReadonlySet<string>;
  /** lvs_flush: every service not desired goes, owned or not. */
  flush: boolean;
}

export function diffTables(desired: IpvsTable, kernel: IpvsTable, opts: DiffOptions): IpvsOp[] {
  const ops: IpvsOp[] = [];
  for (const [key, k] of kernel) if (!desired.has(key) && (opts.flush || opts.owned.has(key))) ops.push({ op: 'del-service', service: k.service });
  for (const [key, d] of desired) {
    const k = kernel.get(key);
    if (!k) {
      ops.push({ op: 'new-service', service: d.service });
      for (const dest of d.dests.values()) ops.push({ op: 'new-dest', service: d.service, dest });
      continue;
    }
    if (!sameService(d.service, k.service)) ops.push({ op: 'set-service', service: d.service });
    for (const [dk, kd] of k.dests) if (!d.dests.has(dk)) ops.push({ op: 'del-dest', service: d.service, dest: kd });
    for (const [dk, dd] of d.dests) {
      const kd = k.dests.get(dk);
      if (!kd) ops.push({ op: 'new-dest', service: d.service, dest: dd });
      else if (!sameDest(dd, kd)) ops.push({ op: 'set-dest', service: d.service, dest: dd });
    }
  }
  return ops;
}

/**
 * What to remove at stop (check/ipwrapper.c clear_services):
 * - 'owned' (no lvs_flush_on_stop): keepalived removes each real server, then each configured service;
 * - 'vs' (`lvs_flush_on_stop VS`): it removes each configured service at once;
 * - 'full' (`lvs_flush_on_stop`): it flushes the whole table, services it never made included.
 * 'owned' and 'vs' leave the same table (a DEL_SERVICE takes its destinations along), so both are one
 * del-service per owned service still in `kernel`; keepalived's per-real-server removal only matters for
 * its notify_down scripts and alerts, which the daemon runs from the checkers' state. `owned` must be
 * the configured services, as the daemon's set of programmed services is. Services of others stay.
 */
export type TeardownMode = 'owned' | 'vs' | 'full';

export function teardownMode(lvsFlushOnStop: 'full' | 'vs' | undefined): TeardownMode {
  return lvsFlushOnStop ?? 'owned';
}

export function teardownOps(kernel: IpvsTable, owned: ReadonlySet<string>, mode: TeardownMode = 'owned'): IpvsOp[] {
  const ops: IpvsOp[] = [];
  for (const [key, e] of kernel) if (mode === 'full' || owned.has(key)) ops.push({ op: 'del-service', service: e.service });
  return ops;
}

/**
 * What the kernel holds after `ops` (for dry runs and the daemon's belief after a partly failed apply):
 * each op as the kernel answers it - NEW on an existing entry is EEXIST, SET/DEL on a missing one ENOENT,
 * both leaving the table as it was. `table` is not modified.
 */
export function applyOpsToTable(table: IpvsTable, ops: readonly IpvsOp[]): IpvsTable {
  const out: IpvsTable = new Map([...table].map(([k, e]) => [k, { service: e.service, dests: new Map(e.dests) }]));
  applyOpsInPlace(out, ops);
  return out;
}

/** applyOpsToTable() modifying `out` itself: O(ops), for the daemon's belief after a few health changes. */
export function applyOpsInPlace(out: IpvsTable, ops: readonly IpvsOp[]): void {
  for (const op of ops) {
    const key = serviceKey(op.service);
    const e = out.get(key);
    switch (op.op) {
      case 'new-service':
        if (!e) out.set(key, { service: op.service, dests: new Map() });
        break;
      case 'set-service':
        if (e) e.service = op.service;
        break;
      case 'del-service':
        out.delete(key);
        break;
      case 'new-dest':
      case 'set-dest':
      case 'del-dest': {
        if (!e) break;
        const dk = destKey(op.dest);
        if (op.op === 'del-dest') e.dests.delete(dk);
        else if ((op.op === 'new-dest') !== e.dests.has(dk)) e.dests.set(dk, op.dest);
        break;
      }
      default: {
        const never: never = op;
        throw new TypeError(`unknown IPVS op ${JSON.stringify(never)}`);
      }
    }
  }
}

/**
 * The requests bringing single destinations (realServerEntries()) to what they should be in `kernel`:
 * the same NEW/SET/DEL_DEST diffTables() would send for them. Undefined when a service is missing from
 * `kernel` (it failed to be made): the caller then reconciles the whole table.
 */
export function diffDests(entries: readonly DestEntry[], kernel: IpvsTable): IpvsOp[] | undefined {
  const ops: IpvsOp[] = [];
  for (const e of entries) {
    const k = kernel.get(e.serviceKey);
    if (!k) return undefined;
    const kd = k.dests.get(e.destKey);
    if (!e.dest) {
      if (kd) ops.push({ op: 'del-dest', service: e.service, dest: kd });
    } else if (!kd) ops.push({ op: 'new-dest', service: e.service, dest: e.dest });
    else if (!sameDest(e.dest, kd)) ops.push({ op: 'set-dest', service: e.service, dest: e.dest });
  }
  return ops;
}
