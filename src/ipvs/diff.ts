/**
 * The reconciler (pure): desired table vs the kernel's dumped table -> the minimal ordered list of
 * NEW/SET/DEL operations. Services no longer desired are removed only when this process owns them
 * (created or adopted them earlier) or when flushing; services someone else made are left alone. A
 * service that exists and is desired is adopted: only what differs is changed.
 */
import { destKey, serviceKey, type IpvsDest, type IpvsOp, type IpvsService, type IpvsTable } from './types.js';

function sameService(a: IpvsService, b: IpvsService): boolean {
  return a.scheduler === b.scheduler && a.flags === b.flags && a.timeoutS === b.timeoutS && a.netmask === b.netmask && (a.peName ?? '') === (b.peName ?? '');
}

function sameDest(a: IpvsDest, b: IpvsDest): boolean {
  if (a.fwd !== b.fwd || a.weight !== b.weight || a.uThreshold !== b.uThreshold || a.lThreshold !== b.lThreshold) return false;
  return a.fwd !== 2 || (a.tunType === b.tunType && a.tunPort === b.tunPort && a.tunFlags === b.tunFlags);
}

export function diffTables(desired: IpvsTable, kernel: IpvsTable, opts: { owned: ReadonlySet<string>; flush: boolean }): IpvsOp[] {
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

/** At stop: remove the services this process owns that are still in the kernel. */
export function teardownOps(kernel: IpvsTable, owned: ReadonlySet<string>): IpvsOp[] {
  return [...kernel.values()].filter((e) => owned.has(serviceKey(e.service))).map((e) => ({ op: 'del-service' as const, service: e.service }));
}

/** What the kernel would hold after `ops` (for tests and dry runs); `table` is not modified. */
export function applyOpsToTable(table: IpvsTable, ops: IpvsOp[]): IpvsTable {
  const out: IpvsTable = new Map([...table].map(([k, e]) => [k, { service: e.service, dests: new Map(e.dests) }]));
  for (const op of ops) {
    const key = serviceKey(op.service);
    if (op.op === 'new-service') {
      if (!out.has(key)) out.set(key, { service: op.service, dests: new Map() });
    } else if (op.op === 'set-service') {
      const e = out.get(key);
      if (e) e.service = op.service;
    } else if (op.op === 'del-service') out.delete(key);
    else {
      const e = out.get(key);
      if (!e) continue;
      const dk = destKey(op.dest);
      if (op.op === 'del-dest') e.dests.delete(dk);
      else if (op.op === 'new-dest' ? !e.dests.has(dk) : e.dests.has(dk)) e.dests.set(dk, op.dest);
    }
  }
  return out;
}
