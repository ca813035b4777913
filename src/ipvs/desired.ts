/**
 * IPVS layer, pure: keepalived.conf (the resolved LvsConfig) + the real servers' health -> the IPVS table
 * keepalived 2.2.7 leaves in the kernel once it has settled (keepalived/check/ipvswrapper.c
 * ipvs_set_srule/ipvs_set_drule/ipvs_cmd/ipvs_group_cmd, ipwrapper.c init_service_vs/update_quorum_state).
 * Checked against keepalived 2.2.7 itself in the VM lab (`ipvsadm -S -n`, /proc/net/ip_vs).
 *
 * Services: ip and fwmark virtual servers give one service; a `group` one per address of each range entry
 * and one per fwmark entry. Persistence (PERSISTENT, timeout, granularity, persistence_engine) is sent only
 * with a persistence_timeout, and group services always get the default netmask (ipvs_group_range_cmd and
 * ipvs_group_cmd reset it). A service reached twice (two virtual servers on one address, two sharing a
 * group with one protocol) is programmed once: the first definition's settings win and the destinations
 * are merged, the first one's entry winning (keepalived's second ADD/ADDDEST fail with EEXIST).
 *
 * Destinations: DR/TUN reach the service's port (0 on a fwmark service), NAT keeps the real server's own
 * port, even 0 (ipvs_cmd, ipvs_group_cmd). The health and sorry server rules are in membersOf().
 */
import type { LvsTimeouts } from '../config/model/global.js';
import type { Forwarding, LvsConfig, RealServer, VirtualServer, VsgEntry } from '../config/model/lvs.js';
import { addressToBigInt, bigIntToAddress } from '../config/model/lvs.js';
import { bytesToIp, ipToBytes } from '../net/ip.js';
import { destKey, FWD, formatService, serviceKey, SVC_F, TUN_FLAG, TUN_TYPE } from './types.js';
import type { IpvsDest, IpvsFamily, IpvsService, IpvsTable, IpvsTimeouts, ServiceEntry } from './types.js';

/** keepalived's IPVS_WEIGHT_LIMIT (INT32_MAX). */
const WEIGHT_LIMIT = 2147483647;
/** Services one range entry may expand to; an IPv4 /8 would be 16 million (problem reported beyond). */
export const MAX_RANGE_ADDRESSES = 65536;

// ---- health -----------------------------------------------------------------------------------------

/**
 * Stable ids, as keepalived matches servers across reloads (ipwrapper.c vs_iseq/rs_iseq): an ip
 * service by protocol/family/address/port, a fwmark by family/mark, a group one by its group name and
 * its number among the virtual servers using that group. Index `i` is lvs.virtualServers[i].
 * Two definitions of the same service share an id (reported as a problem by desiredTable()).
 */
export function virtualServerIds(lvs: LvsConfig): readonly string[] {
  // Memoised per configuration (a configuration is never modified once loaded): the checkers ask for
  // them per virtual server, which without the memo cost O(virtual servers^2) at every start and reload.
  let ids = idsMemo.get(lvs);
  if (!ids) {
    ids = Object.freeze(computeIds(lvs));
    idsMemo.set(lvs, ids);
  }
  return ids;
}

const idsMemo = new WeakMap<LvsConfig, readonly string[]>();

/** The virtual server ids that stand for more than one virtual server (one defined twice); memoised per configuration. */
export function repeatedVirtualServerIds(lvs: LvsConfig): ReadonlySet<string> {
  let out = repeatedMemo.get(lvs);
  if (!out) {
    const seen = new Set<string>();
    const twice = new Set<string>();
    for (const id of virtualServerIds(lvs)) (seen.has(id) ? twice : seen).add(id);
    out = twice;
    repeatedMemo.set(lvs, out);
  }
  return out;
}

const repeatedMemo = new WeakMap<LvsConfig, ReadonlySet<string>>();

function computeIds(lvs: LvsConfig): string[] {
  const member = new Map<string, number>(); // BOUNDED by the number of groups
  return lvs.virtualServers.map((vs) => {
    if (vs.kind === 'ip') return `${(vs.protocol ?? 'UDP').toLowerCase()}|${vs.family}|${canon(vs.address)}|${vs.port}`;
    if (vs.kind === 'fwmark') return `fwm|${vs.family}|${vs.fwmark}`;
    const n = member.get(vs.group) ?? 0;
    member.set(vs.group, n + 1);
    return `group|${vs.group}|${n}`;
  });
}

/** The id of a real server of the virtual server `vsId`: `tcp|inet|192.0.2.1|80>inet|203.0.113.11|80`. */
export function realServerId(vsId: string, rs: { family: string; address: string; port: number }): string {
  return `${vsId}>${rs.family}|${canon(rs.address)}|${rs.port}`;
}

/** realServerId() of every real server, by virtual server index then real server index; memoised per configuration. */
export function realServerIds(lvs: LvsConfig): readonly (readonly string[])[] {
  let out = rsIdsMemo.get(lvs);
  if (!out) {
    const ids = virtualServerIds(lvs);
    out = lvs.virtualServers.map((vs, v) => vs.realServers.map((rs) => realServerId(ids[v]!, rs)));
    rsIdsMemo.set(lvs, out);
  }
  return out;
}

const rsIdsMemo = new WeakMap<LvsConfig, readonly (readonly string[])[]>();

/** What the checkers know, keyed by realServerId()/virtualServerIds(). The checker subsystem (src/check) feeds it. */
export interface HealthView {
  /** keepalived's rs->alive: every checker of the real server passes. */
  isUp(rsId: string): boolean;
  /** rs->effective_weight (misc_dynamic, track_file weights); undefined = the configured weight. */
  weight?(rsId: string): number | undefined;
  /** quorum_state_up, when the caller tracks it with quorumAfter() (hysteresis needs history); undefined = as at start. */
  quorumUp?(vsId: string): boolean | undefined;
}

export const ALL_UP: HealthView = { isUp: () => true };

/** Plain maps behind a HealthView. All BOUNDED by the number of real (virtual) servers configured. */
export type HealthState = { up: Map<string, boolean>; weight: Map<string, number>; quorumUp: Map<string, boolean> };

export function healthView(s: HealthState): HealthView {
  return { isUp: (id) => s.up.get(id) ?? true, weight: (id) => s.weight.get(id), quorumUp: (id) => s.quorumUp.get(id) };
}

/**
 * keepalived's state at start (check_data.c validate_check_config): a real server with an `alpha` checker
 * starts failed until that checker succeeds; one without checkers, or without alpha ones, starts up.
 * (Failing track_files also start a real server down; only the checker engine can know their state.)
 */
export function initialHealth(lvs: LvsConfig): HealthState {
  const s: HealthState = { up: new Map(), weight: new Map(), quorumUp: new Map() };
  const ids = virtualServerIds(lvs);
  lvs.virtualServers.forEach((vs, v) => {
    for (const rs of vs.realServers) s.up.set(realServerId(ids[v]!, rs), !rs.checkers.some((c) => c.type !== 'FILE_CHECK' && c.alpha));
  });
  return s;
}

/** keepalived's real_weight(): an effective weight clamped to what IPVS takes. */
export function realWeight(w: number): number {
  return Math.max(0, Math.min(WEIGHT_LIMIT, Math.trunc(w)));
}

/**
 * quorum_state_up after a change of the live weight (ipwrapper.c update_quorum_state): up again at
 * quorum + hysteresis, down below quorum - hysteresis or at 0. `wasUp` undefined = at start, which is
 * "down" (set_quorum_states runs before any real server is alive). Sums wrap at 32 bits as in C.
 */
export function quorumAfter(vs: { quorum: number; hysteresis: number }, liveWeight: number, wasUp: boolean | undefined): boolean {
  if (!wasUp) return liveWeight >= (vs.quorum + vs.hysteresis) % 2 ** 32;
  return !(liveWeight === 0 || liveWeight < (vs.quorum - vs.hysteresis + 2 ** 32) % 2 ** 32);
}

// ---- services ---------------------------------------------------------------------------------------

/**
 * An address in one spelling (192.0.2.1, 2001:db8::1), memoised: ids are built for every real server on
 * every health change, reload and snapshot, and parsing the same few thousand addresses each time was the
 * checker process's largest cost. BOUNDED: cleared when it holds more than CANON_MAX spellings.
 */
const canonMemo = new Map<string, string>();
const CANON_MAX = 200_000;
function canon(address: string): string {
  let c = canonMemo.get(address);
  if (c === undefined) {
    c = bytesToIp(ipToBytes(address));
    if (canonMemo.size >= CANON_MAX) canonMemo.clear();
    canonMemo.set(address, c);
  }
  return c;
}

const at = (vs: VirtualServer) => `${vs.loc.file}:${vs.loc.line}`;

function fwdOf(f: Forwarding): Pick<IpvsDest, 'fwd' | 'tunType' | 'tunPort' | 'tunFlags'> {
  if (f.method !== 'TUN') return { fwd: f.method === 'NAT' ? FWD.MASQ : FWD.DROUTE, tunType: 0, tunPort: 0, tunFlags: 0 };
  const t = f.tunnel ?? { type: 'ipip', port: 0, checksum: 'nocsum' };
  const type = t.type.toUpperCase() as keyof typeof TUN_TYPE;
  return { fwd: FWD.TUNNEL, tunType: TUN_TYPE[type], tunPort: t.port, tunFlags: TUN_FLAG[t.checksum.toUpperCase() as keyof typeof TUN_FLAG] };
}

/** check_parser.c lbflags_handler: sh-/mh-fallback are SCHED1, sh-/mh-port SCHED2 (check_data.h). */
function flagsOf(vs: VirtualServer): number {
  const f = vs.flags;
  let n = vs.persistenceTimeoutS > 0 ? SVC_F.PERSISTENT : 0;
  if (f.ops) n |= SVC_F.ONEPACKET;
  if (f.flag1 || f.shFallback || f.mhFallback) n |= SVC_F.SCHED1;
  if (f.flag2 || f.shPort || f.mhPort) n |= SVC_F.SCHED2;
  if (f.flag3) n |= SVC_F.SCHED3;
  return n;
}

const defaultNetmask = (af: IpvsFamily): number => (af === 'inet6' ? 128 : 0xffffffff);

/** ipvs_set_srule: persistence_granularity applies only to a persistent, non-group service. */
function netmaskOf(vs: VirtualServer, af: IpvsFamily): number {
  const g = vs.persistenceGranularity;
  if (!g || vs.persistenceTimeoutS === 0 || vs.kind === 'group') return defaultNetmask(af);
  if (af === 'inet6') return Number(g);
  return ipToBytes(g).reduce((n, b) => n * 256 + b, 0);
}

/**
 * The addresses ipvs_group_range_cmd walks: it steps only the last 16 bits (IPv6, wrapping at 0xffff)
 * or the last octet (IPv4, where a range across octets never ends: the whole range is used here).
 */
function rangeAddresses(e: Extract<VsgEntry, { kind: 'range' }>, problem: (m: string) => void): string[] {
  const where = `group range ${e.address}-${e.rangeEnd} (${e.loc.file}:${e.loc.line})`;
  const start = addressToBigInt(e.address);
  const end = addressToBigInt(e.rangeEnd);
  const bits = e.family === 'inet' ? 8n : 16n;
  const out: string[] = [];
  if (start >> bits !== end >> bits) {
    if (e.family === 'inet6') {
      problem(`${where}: keepalived 2.2.7 steps only the last 16 bits of an IPv6 range - the same is programmed here`);
      const base = (start >> bits) << bits;
      for (let g = start & 0xffffn; ; g = (g + 1n) & 0xffffn) {
        out.push(bigIntToAddress(base | g, 'inet6'));
        if (g === (end & 0xffffn)) return out;
      }
    }
    problem(`${where}: keepalived 2.2.7 never finishes programming an IPv4 range across octets (it steps only the last one) - the whole range is used here`);
  }
  for (let n = start; n <= end; n++) {
    if (out.length === MAX_RANGE_ADDRESSES) {
      problem(`${where}: more than ${MAX_RANGE_ADDRESSES} addresses - only the first ${MAX_RANGE_ADDRESSES} are programmed`);
      break;
    }
    out.push(bigIntToAddress(n, e.family));
  }
  return out;
}

/** A service and the port DR/TUN destinations reach on it (NAT keeps its own). */
type Target = { service: IpvsService; destPort: number };

function targetsOf(vs: VirtualServer, lvs: LvsConfig, problem: (m: string) => void): Target[] {
  const common = (af: IpvsFamily) => ({
    scheduler: vs.scheduler,
    flags: flagsOf(vs),
    timeoutS: vs.persistenceTimeoutS,
    netmask: netmaskOf(vs, af),
    ...(vs.persistenceTimeoutS > 0 && vs.persistenceEngine ? { peName: vs.persistenceEngine } : {}),
  });
  const protocol = (vs.protocol ?? 'UDP').toLowerCase() as 'tcp' | 'udp' | 'sctp';
  const fwmark = (af: IpvsFamily, mark: number): Target[] => {
    // fwmark 0 is no mark: keepalived would send it as an address service (0.0.0.0:0).
    if (mark === 0) return (problem(`fwmark 0 (${at(vs)}) is not a firewall mark - not programmed`), []);
    return [{ service: { af, fwmark: mark, ...common(af) }, destPort: 0 }];
  };
  if (vs.kind === 'ip') return [{ service: { af: vs.family, protocol, address: canon(vs.address), port: vs.port, ...common(vs.family) }, destPort: vs.port }];
  if (vs.kind === 'fwmark') return fwmark(vs.family, vs.fwmark);
  const group = lvs.groups.find((g) => g.name === vs.group);
  if (!group) return (problem(`virtual_server group ${vs.group} (${at(vs)}) names no virtual_server_group - not programmed`), []);
  if (vs.persistenceGranularity && vs.persistenceTimeoutS > 0) {
    problem(
      `virtual_server group ${vs.group} (${at(vs)}): keepalived 2.2.7 ignores persistence_granularity for group services - the default netmask is programmed`,
    );
  }
  const out: Target[] = [];
  // ipvs_group_cmd: every address range first, then the fwmarks.
  for (const e of group.entries) {
    if (e.kind !== 'range') continue;
    for (const a of rangeAddresses(e, problem))
      out.push({ service: { af: e.family, protocol, address: a, port: e.port, ...common(e.family) }, destPort: e.port });
  }
  for (const e of group.entries) if (e.kind === 'fwmark') out.push(...fwmark(e.family ?? vs.family, e.fwmark));
  return out;
}

// ---- destinations -----------------------------------------------------------------------------------

/** A real or sorry server, and what it puts in each service of its virtual server. */
type Server = Pick<RealServer, 'family' | 'address' | 'port' | 'forwarding' | 'uthreshold' | 'lthreshold'>;
type Member = { server: Server; weight: number; sorry: boolean };

function destOf(s: Server, t: Target, weight: number): IpvsDest {
  const f = fwdOf(s.forwarding);
  const port = f.fwd === FWD.MASQ ? s.port : t.destPort;
  return { af: s.family, address: canon(s.address), port, ...f, weight, uThreshold: s.uthreshold ?? 0, lThreshold: s.lthreshold ?? 0 };
}

/** Why the kernel refuses this destination on this service (keepalived logs the error and goes on). */
function refused(d: IpvsDest, s: IpvsService): string | undefined {
  if (d.lThreshold > d.uThreshold) return `lthreshold ${d.lThreshold} > uthreshold ${d.uThreshold} (the kernel says ERANGE)`;
  if (d.af !== s.af && d.fwd !== FWD.TUNNEL) return `only TUN forwarding reaches it from an ${s.af} service (the kernel says EINVAL)`;
  return undefined;
}

/**
 * What one virtual server puts in each of its services (ipwrapper.c): with quorum, or without a sorry
 * server, an alive real server with its effective weight, a failed one not at all, or at weight 0 under
 * inhibit_on_failure, and a sorry_server_inhibit sorry server at weight 0. Quorum lost with a sorry
 * server: the sorry server at weight 1 and no real server (inhibit_on_failure: weight 0), alive or not
 * (perform_quorum_state). A sorry server equal to a real server takes that one's entry.
 */
function membersOf(vs: VirtualServer, vsId: string, health: HealthView, rsIds: readonly string[]): Member[] {
  const out: Member[] = [];
  let live = 0;
  const state = vs.realServers.map((rs, r) => {
    const id = rsIds[r]!;
    const up = health.isUp(id);
    const weight = realWeight(health.weight?.(id) ?? rs.weight);
    if (up) live += weight;
    return { rs, up, weight };
  });
  const sorry = vs.sorryServer;
  const sorryIn = !!sorry && !(health.quorumUp?.(vsId) ?? quorumAfter(vs, live, undefined));
  for (const { rs, up, weight } of state) {
    if (up && !sorryIn) out.push({ server: rs, weight, sorry: false });
    else if (rs.inhibitOnFailure) out.push({ server: rs, weight: 0, sorry: false });
  }
  const twin = sorry && vs.realServers.some((rs) => rs.family === sorry.family && canon(rs.address) === canon(sorry.address) && rs.port === sorry.port);
  if (sorryIn) out.push({ server: sorry, weight: 1, sorry: true });
  else if (sorry?.inhibit && !twin) out.push({ server: sorry, weight: 0, sorry: false });
  return out;
}

/**
 * Everything of `health` desiredTable() reads for `lvs`, as numbers: each real server's weight (or -1
 * when down) and each sorry server's quorum. Equal fingerprints of one configuration give equal tables,
 * at the cost of a lookup per real server instead of building the table.
 */
export function healthFingerprint(lvs: LvsConfig, health: HealthView): number[] {
  const ids = virtualServerIds(lvs);
  const rsIds = realServerIds(lvs);
  const out: number[] = [];
  lvs.virtualServers.forEach((vs, v) => {
    let live = 0;
    vs.realServers.forEach((rs, r) => {
      const id = rsIds[v]![r]!;
      const up = health.isUp(id);
      const weight = realWeight(health.weight?.(id) ?? rs.weight);
      if (up) live += weight;
      out.push(up ? weight : -1);
    });
    out.push(vs.sorryServer ? ((health.quorumUp?.(ids[v]!) ?? quorumAfter(vs, live, undefined)) ? 1 : 0) : 0);
  });
  return out;
}

/** The table for `lvs` given the real servers' health; `problems` says what keepalived could not program either. */
export function desiredTable(lvs: LvsConfig, health: HealthView = ALL_UP): { table: IpvsTable; problems: string[] } {
  const table: IpvsTable = new Map();
  const problems = new Set<string>(); // BOUNDED by the config's size
  const problem = (m: string) => void problems.add(m);
  const ids = virtualServerIds(lvs);
  const rsIds = realServerIds(lvs);
  const firstBy = new Map<string, number>(); // serviceKey -> index of the virtual server that made it; BOUNDED by the table
  const twice = new Set<string>(); // `v>first` pairs already reported; BOUNDED by the virtual servers squared
  lvs.virtualServers.forEach((vs, v) => {
    const members = membersOf(vs, ids[v]!, health, rsIds[v]!);
    for (const t of targetsOf(vs, lvs, problem)) {
      const key = serviceKey(t.service);
      let entry: ServiceEntry | undefined = table.get(key);
      if (!entry) {
        entry = { service: t.service, dests: new Map() };
        table.set(key, entry);
        firstBy.set(key, v);
      } else if (!twice.has(`${v}>${firstBy.get(key)}`)) {
        twice.add(`${v}>${firstBy.get(key)}`);
        const first = lvs.virtualServers[firstBy.get(key)!]!;
        problem(
          first === vs
            ? `virtual server at ${at(vs)} lists a service twice (${formatService(t.service)}): it is programmed once`
            : `virtual server at ${at(vs)} defines services the one at ${at(first)} already defines (${formatService(t.service)}...): the first one's settings are used and the real servers are merged, as keepalived 2.2.7 does`,
        );
      }
      for (const m of members) {
        const d = destOf(m.server, t, m.weight);
        const why = refused(d, t.service);
        if (why) {
          problem(`${m.sorry ? 'sorry' : 'real'} server ${d.address} of the virtual server at ${at(vs)}: ${why} - not programmed`);
          continue;
        }
        const dk = destKey(d);
        // The sorry server replaces its twin real server; otherwise the first entry wins (EEXIST).
        if (!entry.dests.has(dk) || (m.sorry && firstBy.get(key) === v)) entry.dests.set(dk, d);
      }
    }
  });
  return { table, problems: [...problems] };
}

/**
 * The part of the desired table that some virtual servers make, for a reload that replaced only those:
 * `changed` (indices in `lvs`, new or edited) and `gone` (virtual servers of `prev` no longer in `lvs`).
 * `table` is what the changed ones make, `keys` every service either side makes (the only ones the reload
 * may touch). Undefined when the slice cannot stand alone and the whole table must be rebuilt: a group
 * service, or a service that another virtual server also makes.
 */
export function desiredSlice(
  lvs: LvsConfig,
  changed: readonly number[],
  prev: LvsConfig,
  gone: readonly VirtualServer[],
  health: HealthView,
): { table: IpvsTable; keys: Set<string>; problems: string[] } | undefined {
  const edited = changed.map((v) => lvs.virtualServers[v]!);
  if ([...edited, ...gone].some((vs) => vs.kind === 'group')) return undefined;
  const ids = virtualServerIds(lvs);
  const count = new Map<string, number>(); // BOUNDED by the virtual servers
  for (const id of ids) count.set(id, (count.get(id) ?? 0) + 1);
  if (changed.some((v) => count.get(ids[v]!) !== 1)) return undefined;
  const editedIds = new Set(changed.map((v) => ids[v]!));
  const goneIds = computeIds({ ...prev, virtualServers: [...gone] });
  // A service of a removed virtual server that one kept still makes: not the slice's alone.
  if (goneIds.some((id, g) => (count.has(id) && !editedIds.has(id)) || goneIds.indexOf(id) !== g)) return undefined;
  const { table, problems } = desiredTable({ ...lvs, virtualServers: edited }, health);
  const keys = new Set(table.keys());
  for (const key of desiredTable({ ...prev, virtualServers: [...gone] }).table.keys()) keys.add(key);
  return { table, keys, problems };
}

// ---- one real server's entries (the health fast path) ---------------------------------------------

/** Per configuration: each virtual server's services, and what makes a one-server update unsafe. */
type LvsShape = { targets: Target[][]; shared: Set<string>; twice: Set<string> };
const shapes = new WeakMap<LvsConfig, LvsShape>();

function shapeOf(lvs: LvsConfig): LvsShape {
  let shape = shapes.get(lvs);
  if (shape) return shape;
  const quiet = () => undefined;
  const targets = lvs.virtualServers.map((vs) => targetsOf(vs, lvs, quiet));
  const by = new Map<string, number>(); // serviceKey -> the virtual server making it; BOUNDED by the table
  const shared = new Set<string>(); // BOUNDED by the table
  targets.forEach((ts, v) => {
    for (const t of ts) {
      const key = serviceKey(t.service);
      if (by.has(key))
        shared.add(key); // made twice, by another virtual server or by this one
      else by.set(key, v);
    }
  });
  // `v|family|address` where two servers of one virtual server (its sorry server included) may be one
  // entry, the first one winning: NAT servers on the same port, or a DR/TUN one (it takes the service's
  // port) next to any other.
  const twice = new Set<string>(); // BOUNDED by the config
  lvs.virtualServers.forEach((vs, v) => {
    const ports = new Map<string, Set<string>>(); // address -> effective ports; BOUNDED by the virtual server's servers
    const servers = vs.sorryServer ? [...vs.realServers, vs.sorryServer] : vs.realServers;
    for (const rs of servers) {
      const addr = `${v}|${rs.family}|${canon(rs.address)}`;
      const port = rs.forwarding.method === 'NAT' ? String(rs.port) : 'service';
      const seen = ports.get(addr) ?? new Set<string>();
      if (seen.has(port) || (seen.size > 0 && (port === 'service' || seen.has('service')))) twice.add(addr);
      seen.add(port);
      ports.set(addr, seen);
    }
  });
  shape = { targets, shared, twice };
  shapes.set(lvs, shape);
  return shape;
}

/** One destination of one service as desiredTable() would have it (dest undefined: not in the table). */
export type DestEntry = { serviceKey: string; service: IpvsService; destKey: string; dest: IpvsDest | undefined };

/**
 * The entries real server `rs` of virtual server `v` has in the table desiredTable() builds for `health`,
 * in O(its services) instead of O(the whole configuration): the checkers' fast path for one real server
 * going up or down. Undefined when such a change can move other entries too, and the caller must rebuild
 * the whole table: the virtual server's quorum is not known or its sorry server is in, the server is that
 * sorry server's twin or listed twice, or one of its services is also made by another virtual server.
 */
export function realServerEntries(lvs: LvsConfig, v: number, rs: RealServer, vsId: string, health: HealthView): DestEntry[] | undefined {
  const vs = lvs.virtualServers[v];
  if (!vs) return undefined;
  const shape = shapeOf(lvs);
  if (shape.twice.has(`${v}|${rs.family}|${canon(rs.address)}`)) return undefined;
  if (vs.sorryServer) {
    const q = health.quorumUp?.(vsId);
    if (q !== true) return undefined;
  }
  const id = realServerId(vsId, rs);
  const up = health.isUp(id);
  const weight = realWeight(health.weight?.(id) ?? rs.weight);
  const member = up ? weight : rs.inhibitOnFailure ? 0 : undefined;
  const out: DestEntry[] = [];
  for (const t of shape.targets[v]!) {
    const key = serviceKey(t.service);
    if (shape.shared.has(key)) return undefined;
    const d = destOf(rs, t, member ?? 0);
    out.push({ serviceKey: key, service: t.service, destKey: destKey(d), dest: member === undefined || refused(d, t.service) ? undefined : d });
  }
  return out;
}

/**
 * Where each entry of the table comes from in keepalived.conf, for the log line of an entry the kernel
 * refused: serviceKey() -> the virtual server's file:line, `serviceKey>destKey` -> the real (or sorry)
 * server's. Built once per configuration, on the first refusal (WeakMap: gone with the configuration).
 */
const locations = new WeakMap<LvsConfig, Map<string, string>>();

export function entryLocations(lvs: LvsConfig): Map<string, string> {
  let out = locations.get(lvs);
  if (out) return out;
  out = new Map(); // BOUNDED by the table's entries
  const { targets } = shapeOf(lvs);
  lvs.virtualServers.forEach((vs, v) => {
    const servers: Server[] & Array<{ loc: { file: string; line: number } }> = vs.sorryServer ? [...vs.realServers, vs.sorryServer] : vs.realServers;
    for (const t of targets[v]!) {
      const key = serviceKey(t.service);
      if (!out!.has(key)) out!.set(key, at(vs));
      for (const s of servers) {
        const dk = `${key}>${destKey(destOf(s, t, 0))}`;
        if (!out!.has(dk)) out!.set(dk, `${s.loc.file}:${s.loc.line}`);
      }
    }
  });
  locations.set(lvs, out);
  return out;
}

/**
 * lvs_timeouts -> IPVS_CMD_SET_CONFIG, or undefined when none is set (check_daemon.c: keepalived sets
 * them only then; on a reload without them, and at stop, it restores the values it found at start).
 */
export function desiredTimeouts(t: LvsTimeouts): IpvsTimeouts | undefined {
  if (!t.tcpS && !t.tcpFinS && !t.udpS) return undefined;
  return { tcp: t.tcpS ?? 0, tcpFin: t.tcpFinS ?? 0, udp: t.udpS ?? 0 };
}
