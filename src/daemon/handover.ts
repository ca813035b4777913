/**
 * Daemon layer: the handover state file, for an upgrade or restart without failover.
 *
 * `tskeepalived --handover` asks the running daemon to exit without releasing anything (no priority 0
 * advert, VIPs, routes and rules kept, IPVS table and sync daemon kept) and to write what it was doing:
 * each VRRP instance's state and the addresses it held, each checker's and real server's health, each
 * virtual server's quorum. The next start reads that file once (it is removed as it is read) and starts
 * from it: a MASTER carries on as MASTER at once, the checkers keep their verdicts, IPVS keeps its entries.
 *
 * The encoding, the checks a file must pass and the decisions taken from it are pure (unit-tested); only
 * writeHandoverFile() and takeHandoverFile() touch the disk. A file that fails a check is ignored with
 * the reason (the start then is an ordinary one), never fatal.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LvsConfig } from '../config/model/lvs.js';
import type { VrrpInstance } from '../config/model/vrrp.js';
import { realServerId, virtualServerIds, type HealthState } from '../ipvs/desired.js';
import type { VipSpec } from '../net/rtnl.js';
import { NAMESPACED_RUN_DIR } from './pidfile.js';
import { writeFileAtomic } from '../util/write-atomic.js';
import { errorText } from '../util/errors.js';

/** The file's format; a file of another format is ignored (the start is an ordinary one). */
export const HANDOVER_FORMAT = 1;
/** Older files are ignored: the network has had time to change (a BACKUP has long taken over). */
export const HANDOVER_MAX_AGE_MS = 60_000;
/** A file dated this far after now comes from another clock: ignored. */
const FUTURE_TOLERANCE_MS = 5_000;

/** One VRRP instance as the VRRP process left it. */
export interface HandoverInstance {
  name: string;
  vrid: number;
  family: string;
  interface: string;
  state: 'MASTER' | 'BACKUP' | 'FAULT' | 'INIT';
  priority: number;
  /** The virtual addresses it held (MASTER only; empty otherwise). */
  vips: VipSpec[];
  /** auth_type AH: the last sequence number (BACKUPs drop one that is not above it). */
  ahSeq?: number;
}

export interface HandoverVrrp {
  instances: HandoverInstance[];
}

/** The checker process's part: checker verdicts, real server health, quorum. Keys as the process uses them. */
export interface HandoverCheckers {
  /** Per deduplicated checker (its key in CheckerSubsystem): up, failures counted, misc_dynamic weight. */
  probes: Array<{ key: string; up: boolean; failures: number; weight?: number }>;
  /** Per real server (realServerId()): alive and effective weight. */
  realServers: Array<{ key: string; alive: boolean; weight: number }>;
  /** Per virtual server (virtualServerIds()): quorum up. */
  virtualServers: Array<{ key: string; quorumUp: boolean }>;
}

export interface HandoverState {
  format: number;
  /** The version of the program that wrote it (informational: an upgrade changes it). */
  program: string;
  /** Wall-clock time of writing, ms since the epoch. */
  writtenAt: number;
  /** The kernel's boot id: a file from before a reboot is ignored. */
  bootId: string;
  pid: number;
  configFile: string;
  vrrp?: HandoverVrrp;
  checkers?: HandoverCheckers;
}

/** Where the state file goes: the run directory, or the namespace's one, unless named explicitly. */
export function handoverFilePath(o: { handoverFile?: string; namespace?: string }): string {
  if (o.handoverFile !== undefined) return o.handoverFile;
  return o.namespace !== undefined ? `${NAMESPACED_RUN_DIR}/${o.namespace}/handover.json` : `${NAMESPACED_RUN_DIR}/handover.json`;
}

export function encodeHandover(s: HandoverState): string {
  return JSON.stringify(s) + '\n';
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isStr = (x: unknown): x is string => typeof x === 'string';
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isBool = (x: unknown): x is boolean => typeof x === 'boolean';
const STATES = new Set(['MASTER', 'BACKUP', 'FAULT', 'INIT']);

function checkVip(v: unknown): v is VipSpec {
  return isObj(v) && isStr(v.address) && isNum(v.prefixLen) && isStr(v.dev) && (v.family === 'inet' || v.family === 'inet6');
}

/**
 * Parses and checks a state file's text against the clock (`now`, ms since the epoch) and this boot.
 * Returns the state, or why it cannot be used.
 */
export function decodeHandover(text: string, now: number, bootId: string): { ok: true; state: HandoverState } | { ok: false; why: string } {
  let x: unknown;
  try {
    x = JSON.parse(text);
  } catch (e) {
    return { ok: false, why: `not JSON (${errorText(e)})` };
  }
  if (!isObj(x)) return { ok: false, why: 'not a JSON object' };
  if (x.format !== HANDOVER_FORMAT) return { ok: false, why: `format ${JSON.stringify(x.format)}, this program reads format ${HANDOVER_FORMAT}` };
  if (!isNum(x.writtenAt) || !isStr(x.bootId) || !isNum(x.pid) || !isStr(x.program) || !isStr(x.configFile))
    return { ok: false, why: 'writtenAt, bootId, pid, program or configFile missing or mistyped' };
  if (x.bootId !== bootId) return { ok: false, why: 'written before the last reboot' };
  const age = now - x.writtenAt;
  if (age > HANDOVER_MAX_AGE_MS) return { ok: false, why: `written ${(age / 1000).toFixed(1)} s ago (older than ${HANDOVER_MAX_AGE_MS / 1000} s)` };
  if (age < -FUTURE_TOLERANCE_MS) return { ok: false, why: `dated ${(-age / 1000).toFixed(1)} s in the future` };
  if (x.vrrp !== undefined) {
    if (!isObj(x.vrrp) || !Array.isArray(x.vrrp.instances)) return { ok: false, why: 'vrrp.instances is not a list' };
    for (const [i, r] of x.vrrp.instances.entries()) {
      const ok =
        isObj(r) &&
        isStr(r.name) &&
        isNum(r.vrid) &&
        isStr(r.family) &&
        isStr(r.interface) &&
        isStr(r.state) &&
        STATES.has(r.state) &&
        isNum(r.priority) &&
        Array.isArray(r.vips) &&
        r.vips.every(checkVip) &&
        (r.ahSeq === undefined || (isNum(r.ahSeq) && r.ahSeq >= 0));
      if (!ok) return { ok: false, why: `vrrp.instances[${i}] is malformed` };
    }
  }
  if (x.checkers !== undefined) {
    const c = x.checkers;
    if (!isObj(c) || !Array.isArray(c.probes) || !Array.isArray(c.realServers) || !Array.isArray(c.virtualServers))
      return { ok: false, why: 'checkers needs probes, realServers and virtualServers lists' };
    for (const [i, p] of c.probes.entries()) {
      if (!(isObj(p) && isStr(p.key) && isBool(p.up) && isNum(p.failures) && (p.weight === undefined || isNum(p.weight))))
        return { ok: false, why: `checkers.probes[${i}] is malformed` };
    }
    for (const [i, r] of c.realServers.entries()) {
      if (!(isObj(r) && isStr(r.key) && isBool(r.alive) && isNum(r.weight))) return { ok: false, why: `checkers.realServers[${i}] is malformed` };
    }
    for (const [i, v] of c.virtualServers.entries()) {
      if (!(isObj(v) && isStr(v.key) && isBool(v.quorumUp))) return { ok: false, why: `checkers.virtualServers[${i}] is malformed` };
    }
  }
  return { ok: true, state: x as unknown as HandoverState };
}

/** What a VRRP instance does with the state file: carry on in a state, or start as usual (and why). */
export type Adoption = { adopt: 'MASTER' | 'BACKUP'; record: HandoverInstance } | { adopt: undefined; why: string };

/**
 * The instance's record, matched as a reload matches instances (name, and keepalived's VRID + family +
 * interface): MASTER and BACKUP are carried on; FAULT (and a stopped instance) start as usual, the
 * trackers decide again. Other settings (priority, VIPs, timers) may differ: the instance runs its new
 * configuration from the state it was in, as after a reload.
 */
export function adoption(inst: VrrpInstance, h: HandoverVrrp | undefined): Adoption {
  if (!h) return { adopt: undefined, why: 'no handover state' };
  const r = h.instances.find((x) => x.name === inst.name);
  if (!r) return { adopt: undefined, why: 'not in the handover state' };
  const family = inst.family ?? 'inet';
  if (r.vrid !== inst.virtualRouterId || r.family !== family || r.interface !== inst.interface) {
    return { adopt: undefined, why: `its virtual_router_id, family or interface changed (was ${r.vrid}, ${r.family}, ${r.interface})` };
  }
  if (r.state === 'MASTER' || r.state === 'BACKUP') return { adopt: r.state, record: r };
  return { adopt: undefined, why: `it was in ${r.state} state` };
}

/** The addresses `held` (a MASTER's record) that the instance no longer configures: to be removed. */
export function vipsNoLongerConfigured(held: readonly VipSpec[], configured: readonly VipSpec[]): VipSpec[] {
  const key = (v: VipSpec) => `${v.address}/${v.prefixLen}%${v.dev}`;
  const keep = new Set(configured.map(key));
  return held.filter((v) => !keep.has(key(v)));
}

/**
 * The health IPVS starts from: each real server's recorded verdict and weight, each virtual server's
 * quorum; real servers the record does not know start as at an ordinary start (alive unless a checker
 * has alpha).
 */
export function carriedHealth(lvs: LvsConfig, c: HandoverCheckers): HealthState {
  const rs = new Map(c.realServers.map((r) => [r.key, r] as const));
  const vsq = new Map(c.virtualServers.map((v) => [v.key, v.quorumUp] as const));
  const s: HealthState = { up: new Map(), weight: new Map(), quorumUp: new Map() };
  const ids = virtualServerIds(lvs);
  lvs.virtualServers.forEach((vs, v) => {
    const q = vsq.get(ids[v]!);
    if (q !== undefined) s.quorumUp.set(ids[v]!, q);
    for (const r of vs.realServers) {
      const id = realServerId(ids[v]!, r);
      const rec = rs.get(id);
      if (rec) {
        s.up.set(id, rec.alive);
        if (rec.weight !== r.weight) s.weight.set(id, rec.weight);
      } else s.up.set(id, !r.checkers.some((ch) => ch.type !== 'FILE_CHECK' && ch.alpha));
    }
  });
  return s;
}

/** The kernel's boot id ('' when it cannot be read). */
export function bootId(): string {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

/** Writes the state file atomically (mode 0600: it names addresses and scripts' outcomes). */
export function writeHandoverFile(file: string, s: HandoverState): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, encodeHandover(s), 0o600);
}

/**
 * Reads and removes the state file (it is used once). undefined when there is none; otherwise the state,
 * or why it was ignored.
 */
export function takeHandoverFile(file: string, now = Date.now()): { state: HandoverState } | { ignored: string } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { ignored: `cannot read it: ${errorText(e)}` };
  }
  try {
    fs.rmSync(file, { force: true });
  } catch (e) {
    return { ignored: `cannot remove it (it would be used again): ${errorText(e)}` };
  }
  const r = decodeHandover(text, now, bootId());
  return r.ok ? { state: r.state } : { ignored: r.why };
}
