/**
 * Daemon layer, pure: a reload's virtual servers as a difference from the ones the checker process runs.
 *
 * A one-weight edit of a 10,000-server file changes one virtual server. The supervisor compares the new
 * list with the one it last sent (ignoring file:line where asked) and sends the checker process only the
 * virtual servers that changed, each other one as the index of its equal in the list the process already
 * holds; the process rebuilds the list from its own objects (applyVsDelta), so it knows which virtual
 * servers are new by identity and its checkers and IPVS touch only those. Generations keep both sides in
 * step: a delta is applied only on top of the list it was computed from, otherwise the whole part is sent.
 */
import { createHash } from 'node:crypto';
import type { KeepalivedConfig } from '../config/model.js';
import type { LvsConfig, VirtualServer } from '../config/model/lvs.js';
import { virtualServerIds } from '../ipvs/desired.js';
import { withoutLocs } from '../util/locs.js';

/**
 * Each virtual server of the new list: the index of an equal one in the previous list; itself with the index
 * of one it equals but for file:line (lines were added or removed above it); or itself (new or edited).
 */
export type VsDeltaList = Array<number | VirtualServer | { moved: number; vs: VirtualServer }>;

/** What a reload request carries: the process's part; with `delta`, its virtual servers as a difference. */
export interface ReloadRequest<C> {
  config: C;
  /** The generation this request makes current in the process. */
  gen: number;
  /** The virtual servers of `config` (whose own list is then empty) on top of generation `base`. */
  delta?: { base: number; vs: VsDeltaList };
}

/**
 * A digest of each virtual server's JSON (file:line included), made once per object: a reload compares each
 * object twice (as the new one, then as the previous one), and the running configuration keeps 28 bytes per
 * virtual server instead of its JSON.
 */
const digestMemo = new WeakMap<VirtualServer, string>();

function digestOf(vs: VirtualServer): string {
  let d = digestMemo.get(vs);
  if (d === undefined) {
    d = createHash('sha1').update(JSON.stringify(vs)).digest('base64');
    digestMemo.set(vs, d);
  }
  return d;
}

/**
 * 'same' when `a` and `b` are the same value, file:line locations included; 'moved' when they differ
 * only in their locations; 'different' otherwise.
 */
export function compareVirtualServers(a: VirtualServer, b: VirtualServer): 'same' | 'moved' | 'different' {
  if (a === b || digestOf(a) === digestOf(b)) return 'same';
  return withoutLocs(a) === withoutLocs(b) ? 'moved' : 'different';
}

/**
 * `next`'s virtual servers as a difference from `prev`'s: equal ones (with equal file:line) by index, the
 * rest as objects. A virtual server is matched first at its own position, then by its identity (address,
 * port and protocol; fwmark; group), so inserting one does not make every later one new. `changed` counts
 * those sent as objects; `moved` those among them that differ from a previous one only by file:line.
 */
export function vsDelta(prev: LvsConfig, next: LvsConfig): { vs: VsDeltaList; changed: number; moved: number } {
  const before = prev.virtualServers;
  const taken = new Set<number>();
  let byId: Map<string, number[]> | undefined;
  const nextIds = virtualServerIds(next);
  let changed = 0;
  let moved = 0;
  const vs = next.virtualServers.map((v, i): VsDeltaList[number] => {
    const tryAt = (j: number): 'same' | 'moved' | 'different' => (taken.has(j) || before[j] === undefined ? 'different' : compareVirtualServers(before[j]!, v));
    let verdict = tryAt(i);
    let at = i;
    if (verdict === 'different') {
      if (!byId) {
        byId = new Map();
        const ids = virtualServerIds(prev);
        for (let j = 0; j < ids.length; j++) {
          const list = byId.get(ids[j]!);
          if (list) list.push(j);
          else byId.set(ids[j]!, [j]);
        }
      }
      for (const j of byId.get(nextIds[i]!) ?? []) {
        verdict = tryAt(j);
        if (verdict !== 'different') {
          at = j;
          break;
        }
      }
    }
    if (verdict === 'same') {
      taken.add(at);
      return at;
    }
    changed++;
    if (verdict !== 'moved') return v;
    taken.add(at);
    moved++;
    return { moved: at, vs: v };
  });
  return { vs, changed, moved };
}

/**
 * The list a delta stands for, on top of `prev` (the list of generation `base`), and for each virtual server
 * that only moved, the previous one it stands for; undefined if the delta does not fit `prev`.
 */
export function applyVsDelta(
  prev: readonly VirtualServer[],
  delta: VsDeltaList,
): { list: VirtualServer[]; movedFrom: Map<VirtualServer, VirtualServer> } | undefined {
  const list: VirtualServer[] = [];
  const movedFrom = new Map<VirtualServer, VirtualServer>();
  for (const x of delta) {
    if (typeof x === 'number') {
      if (prev[x] === undefined) return undefined;
      list.push(prev[x]);
    } else if ('moved' in x) {
      if (prev[x.moved] === undefined) return undefined;
      movedFrom.set(x.vs, prev[x.moved]);
      list.push(x.vs);
    } else list.push(x);
  }
  return { list, movedFrom };
}

/** What a reload replaced: `changed` indices of the new configuration's virtual servers, `gone` the previous ones dropped. */
export interface ReloadSlice {
  changed: readonly number[];
  gone: readonly VirtualServer[];
  previous: LvsConfig;
  /** Indices of the new configuration's virtual servers that only moved (new file:line), and what each stands for. */
  moved: readonly number[];
  movedFrom: ReadonlyMap<VirtualServer, VirtualServer>;
}

/**
 * Which virtual servers a reload by difference replaced: those of `next` that are not objects of `previous`
 * (nor stand for one that only moved: `movedFrom`), and those of `previous` that `next` dropped. Undefined
 * when more than the list of virtual servers changed (groups, SSL, timeouts...): the whole table is then
 * reconciled.
 */
export function reloadSlice(
  previous: KeepalivedConfig,
  next: KeepalivedConfig,
  movedFrom: ReadonlyMap<VirtualServer, VirtualServer> = new Map(),
): ReloadSlice | undefined {
  const rest = (c: KeepalivedConfig) => withoutLocs({ ...c.lvs, virtualServers: [] });
  if (rest(previous) !== rest(next)) return undefined;
  const before = new Set(previous.lvs.virtualServers);
  const after = new Set(next.lvs.virtualServers);
  for (const was of movedFrom.values()) after.add(was);
  const changed: number[] = [];
  const moved: number[] = [];
  next.lvs.virtualServers.forEach((vs, v) => {
    if (movedFrom.has(vs)) moved.push(v);
    else if (!before.has(vs)) changed.push(v);
  });
  return { changed, gone: previous.lvs.virtualServers.filter((vs) => !after.has(vs)), previous: previous.lvs, moved, movedFrom };
}
