/**
 * VRRP layer, pure: from what the trackers read to each instance's priority and FAULT state. The daemon
 * (daemon/vrrp.ts) owns the trackers (trackers.ts, track-process.ts) and hands their readings in; the
 * arithmetic of weights is track.ts effectivePriority (keepalived's rules: weight > 0 added while up,
 * < 0 added while down, `reverse` flips the sign, 0 means FAULT, clamped to 1..254, the owner stays 255).
 *
 * What this file adds around it:
 * - an instance tracks its own interface (weight 0: down is FAULT) unless dont_track_primary, its
 *   track_interface / track_script / track_process / track_file lists, and its vrrp_sync_group's lists,
 *   whose weights count only with sync_group_tracking_weight (otherwise they are weight 0: FAULT);
 * - a track_script / track_process / track_file line without `weight` takes the tracked block's weight
 *   and weight_reverse; a line with one uses its own;
 * - FAULT beyond the trackers: unicast_fault_no_peer without peers, an IPv4 use_ipvlan without an address,
 *   a configured source address missing from its interface;
 * - a sync group is in FAULT when any member is.
 * track_bfd is parsed but not acted on (no BFD process): it adds nothing here.
 */
import type { VrrpInstance, VrrpSyncGroup } from '../config/model/vrrp.js';
import { effectivePriority, type TrackedItem } from './track.js';

export type TrackLists = Pick<VrrpInstance, 'trackInterfaces' | 'trackScripts' | 'trackFiles' | 'trackProcesses'>;

/**
 * unicast_fault_no_peer with a unicast keyword but no unicast_peer: keepalived keeps the instance in FAULT
 * for as long as it runs that configuration.
 */
export function noPeerFault(inst: VrrpInstance): boolean {
  return inst.unicastConfigured && inst.unicastFaultNoPeer && inst.unicastPeers.length === 0;
}

/** The use_vmac / use_ipvlan interface's name (keepalived's default vrrp.VRID), or none. */
export function virtualIfName(inst: VrrpInstance): string | undefined {
  if (inst.useIpvlan) return inst.ipvlan?.name ?? `vrrp.${inst.virtualRouterId}`;
  if (inst.useVmac) return inst.vmacName ?? `vrrp.${inst.virtualRouterId}`;
  return undefined;
}

/**
 * What an instance tracks: its own track_* lists plus its vrrp_sync_group's (keepalived applies a group's
 * tracked objects to every member; their weights count only with sync_group_tracking_weight, otherwise a
 * failure is a FAULT).
 */
export function tracksOf(inst: VrrpInstance, syncGroups: readonly VrrpSyncGroup[]): TrackLists {
  const g = inst.syncGroup !== undefined ? syncGroups.find((x) => x.name === inst.syncGroup) : undefined;
  if (!g) return inst;
  const w = <T extends { weight: number }>(t: T): T => (g.trackingWeight ? t : { ...t, weight: 0, ...('weightGiven' in t ? { weightGiven: true } : {}) });
  return {
    trackInterfaces: [...inst.trackInterfaces, ...g.trackInterfaces.map(w)],
    trackScripts: [...inst.trackScripts, ...g.trackScripts.map(w)],
    trackFiles: [...inst.trackFiles, ...g.trackFiles.map(w)],
    trackProcesses: [...inst.trackProcesses, ...g.trackProcesses.map(w)],
  };
}

/** A tracked block's state and its own weight (used when the track line gives none). */
export interface BlockReading {
  up: boolean;
  weight: number;
  weightReverse: boolean;
}

/** What the trackers read now. `undefined`: nothing tracks that name (an interface then counts as up, a block is left out). */
export interface TrackerReadings {
  interfaceUp(name: string): boolean | undefined;
  script(name: string): BlockReading | undefined;
  process(name: string): BlockReading | undefined;
  /** track_file: the number read from the file. */
  file(name: string): { value: number; weight: number; weightReverse: boolean } | undefined;
}

/** The tracked items of an instance, in keepalived's terms (track.ts). */
export function trackedItems(inst: VrrpInstance, tracks: TrackLists, read: TrackerReadings): TrackedItem[] {
  const items: TrackedItem[] = [];
  if (!inst.dontTrackPrimary)
    items.push({ kind: 'interface', name: inst.interface!, up: read.interfaceUp(inst.interface!) ?? true, weight: 0, reverse: false });
  for (const t of tracks.trackInterfaces)
    items.push({ kind: 'interface', name: t.name, up: read.interfaceUp(t.name) ?? true, weight: t.weight, reverse: t.reverse });
  for (const t of tracks.trackScripts) {
    const b = read.script(t.name);
    if (b)
      items.push({ kind: 'script', name: t.name, up: b.up, weight: t.weightGiven ? t.weight : b.weight, reverse: t.weightGiven ? t.reverse : b.weightReverse });
  }
  for (const t of tracks.trackProcesses) {
    const b = read.process(t.name);
    if (b)
      items.push({
        kind: 'process',
        name: t.name,
        up: b.up,
        weight: t.weightGiven ? t.weight : b.weight,
        reverse: t.weightGiven ? t.reverse : b.weightReverse,
      });
  }
  for (const t of tracks.trackFiles) {
    const f = read.file(t.name);
    if (f)
      items.push({
        kind: 'file',
        name: t.name,
        up: f.value === 0,
        weight: t.weightGiven ? t.weight : f.weight,
        reverse: t.weightGiven ? t.reverse : f.weightReverse,
        value: f.value,
      });
  }
  return items;
}

export interface InstanceTracking {
  priority: number;
  fault: boolean;
  /** What is down, for the log line ("entering FAULT: <faultBy> is down"). */
  faultBy?: string;
  items: TrackedItem[];
}

/**
 * One instance's priority and FAULT state on its own (before its sync group). `hasAddress(ifname, address)`:
 * is the address configured on the interface (asked only when mcast_src_ip / unicast_src_ip is set).
 */
export function instanceTracking(
  inst: VrrpInstance,
  syncGroups: readonly VrrpSyncGroup[],
  read: TrackerReadings,
  hasAddress: (ifname: string, address: string) => boolean,
): InstanceTracking {
  const items = trackedItems(inst, tracksOf(inst, syncGroups), read);
  const e = { ...effectivePriority(inst.priority ?? 100, items), items };
  // keepalived: FAULT while unicast_src_ip / mcast_src_ip is not an address of the interface ("src
  // address not configured"); unlike keepalived, the instance leaves FAULT once the address appears.
  // An ipvlan's address is on the ipvlan.
  const srcIf = inst.useIpvlan && inst.ipvlan?.address !== undefined ? virtualIfName(inst)! : inst.interface!;
  const srcMissing = inst.srcIp !== undefined && !hasAddress(srcIf, inst.srcIp);
  // keepalived: an IPv4 ipvlan without an address of its own is in FAULT.
  const ipvlanBare = inst.useIpvlan && (inst.family ?? 'inet') === 'inet' && inst.ipvlan?.address === undefined;
  if (noPeerFault(inst)) return { ...e, fault: true, faultBy: 'unicast peers' };
  if (ipvlanBare) return { ...e, fault: true, faultBy: `the ipvlan's address (use_ipvlan gives none)` };
  if (srcMissing) return { ...e, fault: true, faultBy: `source address ${inst.srcIp} (not configured on ${srcIf})` };
  return e;
}

/**
 * With sync groups: an instance is in FAULT when it is on its own or when a member of its group is
 * (keepalived: "all members move together"); `faultyPeer` is the first member of its group in FAULT, if
 * any. `peersOf(k)`: the other members of k's group (none outside a group).
 */
export function withSyncGroups<K>(
  own: ReadonlyMap<K, { priority: number; fault: boolean }>,
  peersOf: (k: K) => readonly K[],
): Map<K, { priority: number; fault: boolean; faultyPeer?: K }> {
  const out = new Map<K, { priority: number; fault: boolean; faultyPeer?: K }>();
  for (const [k, e] of own) {
    const peer = peersOf(k).find((m) => own.get(m)?.fault);
    out.set(k, { priority: e.priority, fault: e.fault || peer !== undefined, ...(peer !== undefined ? { faultyPeer: peer } : {}) });
  }
  return out;
}
