/**
 * VRRP layer, pure: what a reload (SIGHUP) does to each vrrp_instance, decided from the running instances
 * and the two configurations; the daemon (daemon/vrrp.ts) carries the plan out.
 *
 * - Instances are matched as keepalived matches them (vrrp.c vrrp_exist): same virtual_router_id, address
 *   family and interface. Names do not count: a renamed instance with the same identity is the same one.
 * - A matched instance whose resolved definition (without file:line) is unchanged, and whose track_script /
 *   track_file / track_process blocks are defined the same way, is kept: its runner goes on untouched.
 * - A matched instance that changed is resumed: a new runner takes over the old one's state (no election).
 *   Its addresses are handed over: the old runner removes only what the new one does not hold
 *   (retiringRemoves), the new one announces only what the old one did not (addedVips).
 * - A new instance starts; one whose interface has no usable address yet waits (keepalived: FAULT until one
 *   appears). An old instance no new one matched stops as on shutdown.
 */
import type { KeepalivedConfig } from '../config/model.js';
import type { VrrpInstance } from '../config/model/vrrp.js';
import { withoutLocs } from '../util/locs.js';

/** keepalived's reload identity (vrrp.c vrrp_exist): VRID, family and interface. */
export function reloadKey(inst: Pick<VrrpInstance, 'virtualRouterId' | 'family' | 'interface'>): string {
  return `${inst.virtualRouterId ?? '-'}|${inst.family ?? 'inet'}|${inst.interface ?? '-'}`;
}

/**
 * The instance as its runner runs it: per-instance keywords that default to their global_defs vrrp_*
 * counterparts filled in, and version 3 for IPv6 (RFC 3768: v2 is IPv4 only). Reloads compare this form,
 * so a changed global default reaches the instances it applies to.
 */
export function resolvedInstance(inst: VrrpInstance, cfg: KeepalivedConfig): VrrpInstance {
  const g = cfg.global;
  return {
    ...inst,
    downTimerAdverts: inst.downTimerAdverts ?? g.vrrpDownTimerAdverts,
    lowerPrioNoAdvert: inst.lowerPrioNoAdvert ?? g.vrrpLowerPrioNoAdvert,
    higherPrioSendAdvert: inst.higherPrioSendAdvert ?? g.vrrpHigherPrioSendAdvert,
    ...(inst.family === 'inet6' && inst.version === 2 ? { version: 3 as const } : {}),
  };
}

/** The track_script, track_file and track_process blocks `inst` names are defined the same way in `cur` and `next`. */
export function sameTrackedDefinitions(inst: VrrpInstance, cur: KeepalivedConfig, next: KeepalivedConfig): boolean {
  const script = (cfg: KeepalivedConfig, name: string) => withoutLocs(cfg.vrrp.scripts.find((s) => s.name === name));
  const file = (cfg: KeepalivedConfig, name: string) => withoutLocs(cfg.vrrp.trackFiles.find((s) => s.name === name));
  const proc = (cfg: KeepalivedConfig, name: string) => withoutLocs(cfg.vrrp.trackProcesses.find((s) => s.name === name));
  return (
    inst.trackScripts.every((t) => script(cur, t.name) === script(next, t.name)) &&
    inst.trackFiles.every((t) => file(cur, t.name) === file(next, t.name)) &&
    inst.trackProcesses.every((t) => proc(cur, t.name) === proc(next, t.name))
  );
}

/** A running instance as the plan sees it: the (resolved) definition its runner runs. */
export interface Running {
  readonly inst: VrrpInstance;
}

/**
 * One instance of the new configuration, in its order:
 * - keep: `prev` goes on untouched;
 * - resume: a runner for `inst` takes over `prev`'s state, then `prev` retires;
 * - start: a runner for `inst` starts as at startup;
 * - wait: no address on the interface yet; `isNew` when it was not waiting before the reload either (the
 *   report counts it as started).
 */
export type ReloadStep<R extends Running> =
  | { kind: 'keep'; inst: VrrpInstance; prev: R }
  | { kind: 'resume'; inst: VrrpInstance; prev: R }
  | { kind: 'start'; inst: VrrpInstance }
  | { kind: 'wait'; inst: VrrpInstance; isNew: boolean };

export interface ReloadPlan<R extends Running> {
  steps: Array<ReloadStep<R>>;
  /** Running instances no new one matched: they stop (priority 0, VIPs removed, STOP notify). */
  stop: R[];
}

/**
 * The plan for reloading from `cur` (run by `running`) to `next`. `lacksAddress(inst)`: the instance's
 * interface has no usable source address (asked only for instances nothing running matches);
 * `waitingBefore`: reload keys of the instances that were waiting for one.
 */
export function planReload<R extends Running>(
  running: readonly R[],
  cur: KeepalivedConfig,
  next: KeepalivedConfig,
  lacksAddress: (inst: VrrpInstance) => boolean,
  waitingBefore: ReadonlySet<string> | ReadonlyMap<string, unknown>,
): ReloadPlan<R> {
  // BOUNDED by the running instances.
  const old = new Map(running.map((r) => [reloadKey(r.inst), r] as const));
  const steps: Array<ReloadStep<R>> = [];
  for (const inst of next.vrrp.instances) {
    const key = reloadKey(inst);
    const prev = old.get(key);
    if (prev) old.delete(key);
    if (!prev && lacksAddress(inst)) {
      steps.push({ kind: 'wait', inst, isNew: !waitingBefore.has(key) });
      continue;
    }
    if (!prev) steps.push({ kind: 'start', inst });
    else if (withoutLocs(prev.inst) === withoutLocs(resolvedInstance(inst, next)) && sameTrackedDefinitions(prev.inst, cur, next))
      steps.push({ kind: 'keep', inst, prev });
    else steps.push({ kind: 'resume', inst, prev });
  }
  return { steps, stop: [...old.values()] };
}

/** What a MASTER holds: addresses (compared with a key), virtual routes and rules (compared by their words). */
export interface Held<V, R extends { words: string[] } = { words: string[] }, U extends { words: string[] } = { words: string[] }> {
  vips: readonly V[];
  routes: readonly R[];
  rules: readonly U[];
}

/**
 * Reload of a MASTER: what the retiring runner removes, which is what its successor does not hold. A
 * successor that did not resume as MASTER (`successorMaster` false) holds nothing: everything goes.
 */
export function retiringRemoves<V, R extends { words: string[] }, U extends { words: string[] }>(
  old: Held<V, R, U>,
  next: Held<V>,
  successorMaster: boolean,
  key: (v: V) => string,
): { vips: V[]; routes: R[]; rules: U[] } {
  const words = (x: { words: string[] }) => x.words.join(' ');
  const keep = new Set(successorMaster ? next.vips.map(key) : []);
  const keepRoutes = new Set(successorMaster ? next.routes.map(words) : []);
  const keepRules = new Set(successorMaster ? next.rules.map(words) : []);
  return {
    vips: old.vips.filter((v) => !keep.has(key(v))),
    routes: old.routes.filter((r) => !keepRoutes.has(words(r))),
    rules: old.rules.filter((r) => !keepRules.has(words(r))),
  };
}

/** Reload of a MASTER that stays MASTER: the addresses its successor announces, those the old runner did not hold. */
export function addedVips<V>(old: readonly V[], next: readonly V[], key: (v: V) => string): V[] {
  const had = new Set(old.map(key));
  return next.filter((v) => !had.has(key(v)));
}
