/**
 * Checker layer, shell: the health-check subsystem. Runs every checker of every real server
 * (src/check/probes/), applies keepalived's retry rule (state.ts), and keeps IPVS in step:
 *
 *   probe outcome -> checker up/down -> real server alive (all its checkers up) -> health maps
 *     -> quorum per virtual server (quorumAfter, with hysteresis) -> IpvsManager.reconcile(health)
 *     -> only the netlink operations the change needs (removed, or weight 0 with inhibit_on_failure,
 *        sorry server in when quorum is lost)
 *
 * plus notify_up/notify_down and quorum_up/quorum_down scripts and keepalived's log lines. Beyond
 * keepalived: the same checker on the same real server used by several virtual servers is probed once
 * and its result fanned out, and first checks are spread evenly over the delay_loop instead of all firing
 * at start. A reload keeps the state of checkers whose definition did not change. TCP_CHECK's schedule runs
 * in the native engine when it is built (probes/tcp-engine.ts): a checker that is up and keeps succeeding is
 * rescheduled there and its results never reach settle(); everything else does, as for the other checkers.
 */
import type { KeepalivedConfig } from '../config/model.js';
import type { Checker, FileCheck, RealServer, VirtualServer } from '../config/model/lvs.js';
import type { TrackFile } from '../config/model/vrrp.js';
import type { Script } from '../config/schema.js';
import { healthView, quorumAfter, realServerId, realWeight, repeatedVirtualServerIds, virtualServerIds, type HealthState } from '../ipvs/desired.js';
import { runScript } from '../script/run.js';
import { isLocalFailure, type Probe, type ProbeOutcome } from './probe.js';
import { raiseOpenFilesLimit } from '../net/rlimit.js';
import { TimerWheel } from './wheel.js';
import { createProbe } from './probes/index.js';
import { nativeTcpEngine, nativeTcpEngineError } from './probes/tcp-engine.js';
import { afterResult, fileCheckStatus, initialCheckerState, type CheckerState } from './state.js';
import { FileTracker } from '../script/file-tracker.js';
import type { HandoverCheckers } from '../daemon/handover.js';
import { realClock, type Clock } from '../util/clock.js';
import { withoutLocs } from '../util/locs.js';
import type { ReloadSlice } from '../daemon/lvs-delta.js';

/** What a start carries over: checker states by key; after a handover also misc_dynamic weights and quorum. */
export interface CheckerCarry {
  states: Map<string, CheckerState>;
  weights?: Map<string, number>;
  /** By virtual server id (virtualServerIds()). */
  quorumUp?: Map<string, boolean>;
}

export interface CheckerLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /** -D: every check's result. */
  debug?(msg: string): void;
  /** pino's: lets a check skip building a debug line nobody will see (10,000 checks a second). */
  isLevelEnabled?(level: string): boolean;
}

export interface CheckerHooks {
  /** keepalived's notify_fifo / lvs_notify_fifo lines: `RS [rs]:tcp:80 [vs]:tcp:80 UP`, `VS [vs]:tcp:80 DOWN`. */
  fifo?: (line: string) => void;
  /** ha_suspend: is this address configured on the host (the VIP held)? Default: every address is. */
  isLocal?: (address: string) => boolean;
  /** A real server went up or down / a virtual server gained or lost its quorum (SMTP alerts). */
  realServerMoved?: (rs: string, vs: string, up: boolean, server: RealServer) => void;
  quorumMoved?: (vs: string, q: { up: boolean; start: boolean; quorum: number; hysteresis: number; live: number }, server: VirtualServer) => void;
}

/** A FILE_CHECK's view of its track_file: the number last read, and a call to onChange when it changes. */
export interface FileWatch {
  readonly value: number;
  start(): void;
  stop(): void;
}

/**
 * The subsystem's edges, injectable so its scheduling, fan-out, quorum and reload rules run in unit tests on
 * a manual clock with fake probes. Every field defaults to the real thing.
 */
export interface CheckerEdges {
  /** Timers (the checks' wheel) and check durations. Default: Node's timers and performance.now(). */
  clock?: Clock;
  /** One checker's probe; undefined for a checker type that has none. Default: probes/index.ts. */
  createProbe?: typeof createProbe;
  /** Watches a track_file for FILE_CHECK. Default: the inotify FileTracker of script/file-tracker.ts. */
  watchFile?: (def: TrackFile, onChange: () => void, log: CheckerLog) => FileWatch;
  /** [0, 1): where in its warmup a checker's first check falls. Default: Math.random. */
  random?: () => number;
}

/** What the subsystem needs from IPVS (the daemon's IpvsManager). */
export interface HealthSink {
  /** Real servers changed (virtual server index, real server), or 'all' when more may have moved (quorum). */
  healthChanged(cfg: KeepalivedConfig, health: ReturnType<typeof healthView>, changed: ReadonlyArray<readonly [number, RealServer]> | 'all'): Promise<unknown>;
}

interface Probed {
  key: string;
  checker: Checker;
  probe: Probe;
  state: CheckerState;
  /** misc_dynamic weight from the last success. */
  weight?: number;
  /** Real servers (rsIds) this probe decides for. */
  users: string[];
  lastMs?: number;
  lastReason?: string;
  checks: number;
  failures: number;
  /** The native engine runs its schedule (TCP_CHECK without ha_suspend); results reach settle() through onResult. */
  engineRun?: boolean;
  onResult?: (o: ProbeOutcome) => void;
  /** What the probe was made with beyond its checker (SSL, script_user, virtualhost): a reload reuses it only when equal. */
  made: string;
  /** Set when a reload dropped it: a check in flight or due ends without effect. */
  retired?: boolean;
}

/** A FILE_CHECK: no probe, the tracked file's value decides (fileCheckStatus). */
interface FileChecked {
  checker: FileCheck;
  up: boolean;
  /** Added to the real server's weight while up. */
  delta: number;
  users: string[];
}

interface RsInfo {
  vsIndex: number;
  vsId: string;
  rs: RealServer;
  /** Keys of its supported checkers. */
  probes: string[];
  /** Keys of its FILE_CHECKs. */
  files: string[];
  alive: boolean;
}

export interface CheckerSnapshot {
  /** id and virtualServer in keepalived's notation ([198.51.100.11]:tcp:80); key = the internal identity. */
  realServers: Array<{
    id: string;
    key: string;
    virtualServer: string;
    address: string;
    port: number;
    alive: boolean;
    weight: number;
    checkers: Array<{ type: string; up: boolean; lastMs?: number; lastReason?: string; checks: number; failures: number }>;
  }>;
  virtualServers: Array<{ id: string; key: string; quorumUp: boolean }>;
}

let tcpPathSaid = false;

const describeVs = (vs: VirtualServer) =>
  vs.kind === 'ip' ? `[${vs.address}]:${(vs.protocol ?? 'tcp').toLowerCase()}:${vs.port}` : vs.kind === 'fwmark' ? `FWM ${vs.fwmark}` : `group ${vs.group}`;
const describeRs = (vs: VirtualServer, rs: RealServer) => `[${rs.address}]:${(vs.protocol ?? 'tcp').toLowerCase()}:${rs.port}`;

/** Whether a reload's replaced virtual servers (or the ones they replace) have FILE_CHECKs. */
function hasFileCheck(slice: ReloadSlice, next: KeepalivedConfig): boolean {
  const all = [...slice.gone, ...[...slice.changed, ...slice.moved].map((v) => next.lvs.virtualServers[v]!), ...slice.movedFrom.values()];
  return all.some((vs) => vs.realServers.some((rs) => rs.checkers.some((c) => c.type === 'FILE_CHECK')));
}

/** Checker identity across real servers and reloads: its definition without file:line. */
function checkerKey(c: Checker): string {
  return JSON.stringify(c, (k, v) => (k === 'loc' ? undefined : v));
}

/** A checker's key on its real server, made once per checker object (a reload by difference keeps most objects). */
const probeKeys = new WeakMap<Checker, { rs: RealServer; key: string }>();

function probeKey(rs: RealServer, c: Checker): string {
  const m = probeKeys.get(c);
  if (m?.rs === rs) return m.key;
  const key = `${rs.family}|${rs.address}|${rs.port}|${checkerKey(c)}`;
  probeKeys.set(c, { rs, key });
  return key;
}

export class CheckerSubsystem {
  /** BOUNDED by the configured checkers (deduplicated). */
  private probes = new Map<string, Probed>();
  /** BOUNDED by the configured real servers. */
  private servers = new Map<string, RsInfo>();
  private health: HealthState = { up: new Map(), weight: new Map(), quorumUp: new Map() };
  /** A live view of `health` (IPVS reads it when it applies, so it always sees the latest). */
  private readonly view = healthView(this.health);
  private stopped = false;
  /** One signal aborts every probe in flight at stop (one controller per probe cost 5 % CPU at 10k checks/s). */
  private readonly abort = new AbortController();
  private pushing: Promise<unknown> = Promise.resolve();
  /**
   * Each virtual server's live weight (the sum quorum compares), updated by each change instead of summed
   * over every real server at every change (O(n^2) when thousands fail at once); BOUNDED by the config.
   */
  private readonly liveWeight = new Map<number, number>();
  private unsupportedSaid = new Set<string>();
  /** BOUNDED by the configured FILE_CHECKs (deduplicated) and the track_file blocks they name. */
  private fileChecks = new Map<string, FileChecked>();
  private trackers = new Map<string, FileWatch>();
  private readonly clock: Clock;
  /** When each probe runs next: one host timer per 10 ms tick, not one per check. */
  private readonly wheel: TimerWheel<Probed>;

  private constructor(
    private cfg: KeepalivedConfig,
    private readonly ipvs: HealthSink | undefined,
    private readonly log: CheckerLog,
    private readonly hooks: CheckerHooks,
    private readonly edges: CheckerEdges,
  ) {
    this.clock = edges.clock ?? realClock;
    this.wheel = new TimerWheel<Probed>((p) => this.run(p), 10, this.clock);
  }

  /**
   * `carry`: checker states by key, from the subsystem a reload replaces, or (CheckerCarry) from a
   * handover state file, which also carries misc_dynamic weights and each virtual server's quorum.
   * `edges`: clock, probes and file watchers (tests); a reload passes them on.
   */
  static start(
    cfg: KeepalivedConfig,
    ipvs: HealthSink | undefined,
    log: CheckerLog,
    carry?: Map<string, CheckerState> | CheckerCarry,
    hooks: CheckerHooks = {},
    edges: CheckerEdges = {},
  ): CheckerSubsystem {
    const s = new CheckerSubsystem(cfg, ipvs, log, hooks, edges);
    const c: CheckerCarry | undefined = carry instanceof Map ? { states: carry } : carry;
    const fresh = s.build(c?.states);
    if (c?.weights) for (const [k, w] of c.weights) if (s.probes.has(k)) s.probes.get(k)!.weight = w;
    if (c?.quorumUp) for (const [k, q] of c.quorumUp) s.health.quorumUp.set(k, q);
    s.sayTcpPath();
    s.ensureOpenFiles();
    s.recomputeAll(true);
    s.schedule(fresh);
    return s;
  }

  /**
   * The carry for a start after `tskeepalived --handover`: each checker's recorded state by key; a checker
   * the record does not know (its definition changed) of a real server recorded as failed starts down, so
   * the server is not re-added before its checks say so.
   */
  static carryFrom(cfg: KeepalivedConfig, h: HandoverCheckers): CheckerCarry {
    const rec = new Map(h.probes.map((p) => [p.key, p] as const));
    const deadRs = new Set(h.realServers.filter((r) => !r.alive).map((r) => r.key));
    const states = new Map<string, CheckerState>();
    const weights = new Map<string, number>();
    const ids = virtualServerIds(cfg.lvs);
    cfg.lvs.virtualServers.forEach((vs, v) => {
      for (const rs of vs.realServers) {
        const dead = deadRs.has(realServerId(ids[v]!, rs));
        for (const c of rs.checkers) {
          if (c.type === 'FILE_CHECK' || c.type === 'BFD_CHECK') continue;
          const key = probeKey(rs, c);
          const r = rec.get(key);
          if (r) {
            states.set(key, { up: r.up, failures: r.failures });
            if (r.weight !== undefined) weights.set(key, r.weight);
          } else if (dead && !states.has(key)) states.set(key, { up: false, failures: 0 });
        }
      }
    });
    return { states, weights, quorumUp: new Map(h.virtualServers.map((x) => [x.key, x.quorumUp] as const)) };
  }

  /** `tskeepalived --handover` (after stop()): every checker's state, real server's health and quorum. */
  handoverState(): HandoverCheckers {
    return {
      probes: [...this.probes].map(([key, p]) => ({
        key,
        up: p.state.up,
        failures: p.state.failures,
        ...(p.weight !== undefined ? { weight: p.weight } : {}),
      })),
      realServers: [...this.servers].map(([key, info]) => ({ key, alive: info.alive, weight: this.health.weight.get(key) ?? info.rs.weight })),
      virtualServers: [...this.health.quorumUp].map(([key, quorumUp]) => ({ key, quorumUp })),
    };
  }

  /**
   * Each check in flight holds a descriptor, and one that outlasts delay_loop overlaps the next: the
   * limit is raised (as keepalived does) to what the checkers can hold at once, plus room for the rest.
   */
  private openFilesAsked = 0;

  private ensureOpenFiles(): void {
    let need = 1024;
    for (const p of this.probes.values()) {
      const c = p.checker as Extract<Checker, { delayLoopS: number }>;
      const limitS = 'connection' in c ? c.connection.connectTimeoutS : 'timeoutS' in c ? c.timeoutS : 5;
      need += 1 + Math.ceil(limitS / Math.max(0.001, c.delayLoopS));
    }
    if (need <= 4096 || need === this.openFilesAsked) return;
    // Asked (and said) again only when a reload changes what the checkers need.
    this.openFilesAsked = need;
    const r = raiseOpenFilesLimit(need);
    if ('error' in r) this.log.warn(`the checkers may need ${need} open files: ${r.error}; raise LimitNOFILE`);
    else if (r.after > r.before) this.log.info(`open-files limit raised from ${r.before} to ${r.after} for ${this.probes.size} checkers`);
    else if (r.after < need) this.log.warn(`the checkers may need ${need} open files; the limit is ${r.after} (fs.nr_open)`);
  }

  /** Once per process: TCP_CHECK without the native engine works, at several times the CPU; say why. */
  private sayTcpPath(): void {
    if (tcpPathSaid || ![...this.probes.values()].some((p) => p.checker.type === 'TCP_CHECK') || nativeTcpEngine()) return;
    tcpPathSaid = true;
    this.log.info(`TCP_CHECK runs on Node's TCP handles: the native TCP check engine is not available (${nativeTcpEngineError()})`);
  }

  /**
   * The real servers and probes of this.cfg. `carry`: states by key for new probes; `reuse`: the probes of
   * the configuration a reload replaces, taken over (still running, state and schedule kept) when their
   * checker and what they were made with are unchanged. Returns the probes made afresh.
   */
  private build(carry?: Map<string, CheckerState>, reuse?: Map<string, Probed>): Probed[] {
    const fresh: Probed[] = [];
    const ids = virtualServerIds(this.cfg.lvs);
    this.cfg.lvs.virtualServers.forEach((vs, v) => {
      this.addServers(v, vs, ids[v]!, fresh, carry, reuse);
    });
    return fresh;
  }

  /** The real servers of virtual server `v` (id `vsId`) and their probes (see build()). */
  private addServers(v: number, vs: VirtualServer, vsId: string, fresh: Probed[], carry?: Map<string, CheckerState>, reuse?: Map<string, Probed>): void {
    for (const rs of vs.realServers) {
      const id = realServerId(vsId, rs);
      const info: RsInfo = { vsIndex: v, vsId, rs, probes: [], files: [], alive: true };
      for (const c of rs.checkers) {
        if (c.type === 'FILE_CHECK') {
          const key = probeKey(rs, c);
          const fc = this.fileCheck(key, c);
          if (!fc) continue;
          fc.users.push(id);
          info.files.push(key);
          continue;
        }
        if (c.type === 'BFD_CHECK') {
          this.unsupported(`${c.type} (${c.loc.file}:${c.loc.line})`);
          continue;
        }
        const key = probeKey(rs, c);
        let p = this.probes.get(key);
        if (!p) {
          const virtualhost = rs.virtualhost ?? vs.virtualhost;
          const made =
            virtualhost === undefined && !this.cfg.lvs.ssl && !this.cfg.global.scriptUser
              ? ''
              : withoutLocs([this.cfg.lvs.ssl, this.cfg.global.scriptUser, virtualhost]);
          const old = reuse?.get(key);
          if (old && old.made === made && !old.retired) {
            p = old;
            p.checker = c;
            p.users = [];
          } else {
            const probe = (this.edges.createProbe ?? createProbe)(c, {
              ...(this.cfg.lvs.ssl ? { ssl: this.cfg.lvs.ssl } : {}),
              ...(this.cfg.global.scriptUser ? { scriptUser: this.cfg.global.scriptUser } : {}),
              ...(virtualhost ? { virtualhost } : {}),
            });
            if (!probe) {
              this.unsupported(`${c.type} (${c.loc.file}:${c.loc.line})`);
              continue;
            }
            p = { key, checker: c, probe, made, state: carry?.get(key) ?? initialCheckerState(c), users: [], checks: 0, failures: 0 };
            fresh.push(p);
          }
          this.probes.set(key, p);
        }
        p.users.push(id);
        info.probes.push(key);
      }
      info.alive = this.aliveOf(info);
      this.servers.set(id, info);
    }
  }

  /** The FILE_CHECK `key`, watching its track_file (one watcher per file however many checks use it). */
  private fileCheck(key: string, c: FileCheck): FileChecked | undefined {
    const existing = this.fileChecks.get(key);
    if (existing) return existing;
    let tracker = this.trackers.get(c.trackFile);
    if (!tracker) {
      const def = this.cfg.vrrp.trackFiles.find((t) => t.name === c.trackFile);
      if (!def) {
        this.log.error(`FILE_CHECK (${c.loc.file}:${c.loc.line}): no track_file ${c.trackFile} - ignored`);
        return undefined;
      }
      const name = c.trackFile;
      tracker = this.edges.watchFile
        ? this.edges.watchFile(def, () => this.fileChanged(name), this.log)
        : new FileTracker(def, () => this.fileChanged(name), this.log);
      this.trackers.set(name, tracker);
    }
    const fc: FileChecked = { checker: c, ...fileCheckStatus(tracker.value, c.weight, c.reverse), users: [] };
    this.fileChecks.set(key, fc);
    return fc;
  }

  private fileChanged(name: string): void {
    const value = this.trackers.get(name)?.value ?? 0;
    const users: string[] = [];
    for (const fc of this.fileChecks.values()) {
      if (fc.checker.trackFile !== name) continue;
      Object.assign(fc, fileCheckStatus(value, fc.checker.weight, fc.checker.reverse));
      users.push(...fc.users);
    }
    if (!this.stopped) this.recompute(users);
  }

  private aliveOf(info: RsInfo): boolean {
    return info.probes.every((k) => this.probes.get(k)!.state.up) && info.files.every((k) => this.fileChecks.get(k)!.up);
  }

  private unsupported(what: string): void {
    if (this.unsupportedSaid.has(what)) return;
    this.unsupportedSaid.add(what);
    this.log.warn(`checker ${what} is not implemented yet in tskeepalived: it is treated as always passing`);
  }

  /** ha_suspend asks before each check whether the address is held: such a probe stays on the JS timer. */
  private engineCanRun(p: Probed): boolean {
    return p.probe.native !== undefined && !p.users.some((id) => this.cfg.lvs.virtualServers[this.servers.get(id)!.vsIndex]!.haSuspend);
  }

  /** First checks of `all` (the new probes) spread evenly over each checker's delay_loop (or a random warmup when given). */
  private schedule(all: Probed[]): void {
    for (const t of this.trackers.values()) t.start();
    all.forEach((p, i) => {
      const c = p.checker as Extract<Checker, { delayLoopS: number }>;
      if (this.engineCanRun(p)) {
        p.engineRun = true;
        p.onResult = (out) => this.settle(p, out, this.clock.now() - out.ms);
      }
      const warm = c.warmupS > 0 ? (this.edges.random ?? Math.random)() * c.warmupS * 1000 : (i / Math.max(1, all.length)) * c.delayLoopS * 1000;
      this.arm(p, warm);
    });
  }

  private arm(p: Probed, ms: number): void {
    if (this.stopped || p.retired) return;
    if (p.engineRun) {
      // Routine (up, no failure counted, no debug line wanted): the engine repeats successes itself.
      const c = p.checker as Extract<Checker, { delayLoopS: number }>;
      const routine = p.state.up && p.state.failures === 0 && !this.debugLines();
      p.probe.native!.arm(ms, routine ? c.delayLoopS * 1000 : 0, p.onResult!);
    } else this.wheel.schedule(p, ms);
  }

  private run(p: Probed): void {
    if (this.stopped || p.retired) return;
    const c = p.checker as Extract<Checker, { delayLoopS: number }>;
    if (this.suspended(p)) {
      // ha_suspend: no checks while this director does not hold the virtual address; state kept.
      this.arm(p, c.delayLoopS * 1000);
      return;
    }
    const started = this.clock.now();
    void p.probe(this.abort.signal).then((out) => this.settle(p, out, started));
  }

  /** -D: a debug line for every check's result (pino says whether anyone will see it). */
  private debugLines(): boolean {
    return Boolean(this.log.debug) && this.log.isLevelEnabled?.('debug') !== false;
  }

  /** One attempt's outcome: keepalived's retry rule, logs, health changes, and the next check. */
  private settle(p: Probed, out: ProbeOutcome, started: number): void {
    if (this.stopped || p.retired) return;
    const c = p.checker as Extract<Checker, { delayLoopS: number }>;
    if (isLocalFailure(out)) {
      // This director could not make the attempt (EMFILE...): no verdict on the real server. keepalived
      // reschedules such a check after delay_loop without counting it; so do we, and say so now and then.
      this.localFailure(out.reason!);
      this.arm(p, c.delayLoopS * 1000);
      return;
    }
    p.checks++;
    p.lastMs = out.ms;
    if (!out.ok) {
      p.failures++;
      p.lastReason = out.reason;
    } else delete p.lastReason;
    const step = afterResult(p.state, out.ok, c);
    const weightChanged = out.ok && out.weight !== undefined && out.weight !== p.weight;
    if (out.ok && out.weight !== undefined) p.weight = out.weight;
    if (!out.ok && (c.logAllFailures || step.changed)) this.log.warn(out.reason ?? 'check failed');
    else if (this.debugLines())
      this.log.debug!(`${p.checker.type} on ${p.key.split('|').slice(1, 3).join(':')}: ${out.ok ? 'success' : out.reason} (${out.ms.toFixed(1)} ms)`);
    p.state = step.state;
    if (step.changed || weightChanged) this.recompute(p.users);
    // Beyond keepalived (which waits delay_loop after a check ends): the next check is due delay_loop after
    // this one started, so checks keep their rate. A check that took longer than that (a timeout longer
    // than delay_loop, or a director too busy to keep up) waits the whole interval again, as keepalived
    // does: checking back to back would only add load where there is already too much.
    const took = this.clock.now() - started;
    this.arm(p, took < step.nextMs ? step.nextMs - took : step.nextMs);
  }

  private localFailures = 0;
  private localSaidAt = -Infinity;

  /** Checks this host could not make: logged at most every 10 s, with how many there were. */
  private localFailure(reason: string): void {
    this.localFailures++;
    const now = this.clock.now();
    if (now - this.localSaidAt < 10_000) return;
    this.localSaidAt = now;
    this.log.warn(
      `${this.localFailures} check(s) could not be made on this host and were rescheduled (${reason}); raise the open-files limit (LimitNOFILE) if this is EMFILE`,
    );
    this.localFailures = 0;
  }

  /** True when every virtual server this probe decides for has ha_suspend and its address is not local. */
  private suspended(p: Probed): boolean {
    const isLocal = this.hooks.isLocal;
    if (!isLocal) return false;
    return p.users.every((id) => {
      const vs = this.cfg.lvs.virtualServers[this.servers.get(id)!.vsIndex]!;
      return vs.haSuspend && vs.kind === 'ip' && !isLocal(vs.address);
    });
  }

  /** Re-derives the real servers in `ids`, logs and notifies their changes, and pushes the health to IPVS. */
  private recompute(ids: string[]): void {
    const vsTouched = new Set<number>();
    const changed: Array<readonly [number, RealServer]> = [];
    for (const id of ids) {
      const info = this.servers.get(id);
      if (!info) continue;
      changed.push([info.vsIndex, info.rs]);
      const before = this.contribution(id, info.rs);
      const alive = this.aliveOf(info);
      const dyn = info.probes.map((k) => this.probes.get(k)!.weight).find((w) => w !== undefined);
      // keepalived's effective weight: misc_dynamic's (else the configured one) plus the FILE_CHECK terms.
      const fileDelta = info.files.reduce((sum, k) => sum + this.fileChecks.get(k)!.delta, 0);
      if (dyn !== undefined || info.files.length > 0) this.health.weight.set(id, realWeight((dyn ?? info.rs.weight) + fileDelta));
      this.health.up.set(id, alive);
      const live = this.liveWeight.get(info.vsIndex);
      if (live !== undefined) this.liveWeight.set(info.vsIndex, live + this.contribution(id, info.rs) - before);
      if (alive !== info.alive) {
        info.alive = alive;
        const vs = this.cfg.lvs.virtualServers[info.vsIndex]!;
        const rsName = describeRs(vs, info.rs);
        const vsName = describeVs(vs);
        if (alive) this.log.info(info.rs.inhibitOnFailure ? `Enabling service ${rsName} to VS ${vsName}` : `Adding service ${rsName} to VS ${vsName}`);
        else this.log.info(info.rs.inhibitOnFailure ? `Disabling service ${rsName} from VS ${vsName}` : `Removing service ${rsName} from VS ${vsName}`);
        this.hooks.fifo?.(`RS ${rsName} ${vsName} ${alive ? 'UP' : 'DOWN'}`);
        this.hooks.realServerMoved?.(rsName, vsName, alive, info.rs);
        const script: Script | undefined = alive ? info.rs.notifyUp : info.rs.notifyDown;
        if (script) this.runScript(script);
      }
      vsTouched.add(info.vsIndex);
    }
    let quorumMoved = false;
    for (const v of vsTouched) if (this.recomputeQuorum(v, false)) quorumMoved = true;
    this.push(quorumMoved ? 'all' : changed);
  }

  /** What a real server adds to its virtual server's live weight (quorum). */
  private contribution(id: string, rs: RealServer): number {
    return (this.health.up.get(id) ?? true) ? realWeight(this.health.weight.get(id) ?? rs.weight) : 0;
  }

  private recomputeAll(atStart: boolean, push = true): void {
    this.liveWeight.clear();
    for (const [id, info] of this.servers) {
      this.health.up.set(id, info.alive);
      // misc_dynamic weights are only known at start when a handover carried them.
      const dyn = info.probes.map((k) => this.probes.get(k)!.weight).find((w) => w !== undefined);
      if (dyn !== undefined || info.files.length > 0)
        this.health.weight.set(id, realWeight((dyn ?? info.rs.weight) + info.files.reduce((sum, k) => sum + this.fileChecks.get(k)!.delta, 0)));
      else this.health.weight.delete(id);
    }
    // A quorum carried over by a handover is the previous state: crossing it logs and runs scripts as usual.
    const ids = virtualServerIds(this.cfg.lvs);
    for (let v = 0; v < this.cfg.lvs.virtualServers.length; v++) this.recomputeQuorum(v, atStart && !this.health.quorumUp.has(ids[v]!));
    if (push) this.push('all');
  }

  /** keepalived update_quorum_state: quorum_up / quorum_down when the live weight crosses the quorum. */
  /** True when the quorum state changed (the sorry server and every real server may move). */
  private recomputeQuorum(v: number, atStart: boolean): boolean {
    const vs = this.cfg.lvs.virtualServers[v]!;
    const allIds = virtualServerIds(this.cfg.lvs);
    const vsId = allIds[v]!;
    let live = this.liveWeight.get(v);
    if (live === undefined) {
      const ids = vs.realServers.map((rs) => realServerId(vsId, rs));
      live = vs.realServers.reduce((sum, rs, r) => sum + this.contribution(ids[r]!, rs), 0);
      // Kept up to date by recompute() from here on, unless an id stands for two entries (a real server
      // listed twice, a virtual server defined twice): those are summed again each time.
      if (new Set(ids).size === ids.length && !repeatedVirtualServerIds(this.cfg.lvs).has(vsId)) this.liveWeight.set(v, live);
    }
    const was = this.health.quorumUp.get(vsId);
    const up = quorumAfter(vs, live, atStart ? undefined : was);
    this.health.quorumUp.set(vsId, up);
    if (atStart && up) this.hooks.quorumMoved?.(describeVs(vs), { up, start: true, quorum: vs.quorum, hysteresis: vs.hysteresis, live }, vs);
    if (was === up || (atStart && up)) return was !== up;
    const name = describeVs(vs);
    this.hooks.fifo?.(`VS ${name} ${up ? 'UP' : 'DOWN'}`);
    this.hooks.quorumMoved?.(name, { up, start: false, quorum: vs.quorum, hysteresis: vs.hysteresis, live }, vs);
    if (up) {
      this.log.info(`Gained quorum ${vs.quorum}+${vs.hysteresis}=${vs.quorum + vs.hysteresis} <= ${live} for VS ${name}`);
      if (vs.quorumUp && was !== undefined) this.runScript(vs.quorumUp);
    } else {
      this.log.info(`Lost quorum ${vs.quorum}-${vs.hysteresis}=${vs.quorum - vs.hysteresis} > ${live} for VS ${name}`);
      if (vs.quorumDown) this.runScript(vs.quorumDown);
    }
    return true;
  }

  private runScript(s: Script): void {
    const su = this.cfg.global.scriptUser;
    // No extra arguments, its own process group, killed after 10 s.
    runScript(s, [], { label: 'quorum script', ...(su ? { scriptUser: su } : {}) }, { warn: (m) => this.log.warn(m) });
  }

  /** Serialised: IPVS sees the health changes in order. */
  private push(changed: ReadonlyArray<readonly [number, RealServer]> | 'all'): void {
    if (!this.ipvs || this.stopped) return;
    this.pushing = this.ipvs.healthChanged(this.cfg, this.view, changed).catch((e: Error) => this.log.error(`IPVS: ${e.message}`));
  }

  /**
   * Reload, in place: the real servers and virtual servers of `next`. A probe whose checker (without
   * file:line) and making are unchanged is kept running with its state and schedule, so a reload costs the
   * checks nothing and only new checkers start (spread over their delay_loop, as at start); the others end.
   * As keepalived does, each virtual server kept keeps its quorum state: only a real change is reported.
   * `push: false` when the caller brings IPVS up to date itself (a reload by difference); otherwise the
   * whole health view is pushed, as at start. Returns this subsystem.
   */
  async reload(next: KeepalivedConfig, opts: { push?: boolean; slice?: ReloadSlice } = {}): Promise<CheckerSubsystem> {
    if (this.stopped) return CheckerSubsystem.start(next, this.ipvs, this.log, undefined, this.hooks, this.edges);
    if (opts.slice && this.fileChecks.size === 0 && !hasFileCheck(opts.slice, next)) return this.reloadSlice(next, opts.slice);
    const before = this.probes;
    for (const t of this.trackers.values()) t.stop();
    this.trackers = new Map();
    this.fileChecks = new Map();
    this.unsupportedSaid = new Set();
    this.cfg = next;
    this.probes = new Map();
    this.servers = new Map();
    const fresh = this.build(undefined, before);
    const isFresh = new Set(fresh);
    for (const p of this.probes.values()) {
      // A kept probe whose place changed (ha_suspend now or no longer used) is made again.
      if (isFresh.has(p) || Boolean(p.engineRun) === this.engineCanRun(p)) continue;
      const q = this.remake(p);
      this.probes.set(q.key, q);
      fresh.push(q);
    }
    for (const [key, p] of before) {
      if (this.probes.get(key) === p) continue;
      p.retired = true;
      p.probe.release?.();
    }
    for (const id of this.health.up.keys()) if (!this.servers.has(id)) this.health.up.delete(id);
    const vsIds = new Set(virtualServerIds(next.lvs));
    for (const id of this.health.quorumUp.keys()) if (!vsIds.has(id)) this.health.quorumUp.delete(id);
    this.ensureOpenFiles();
    this.recomputeAll(true, opts.push !== false);
    this.schedule(fresh);
    return this;
  }

  /**
   * A reload by difference (lvs-delta.ts): only the real servers of the virtual servers it replaced are
   * removed and added; the others keep their entries (their index is updated when it moved), so the cost
   * follows the change, not the table. Quorum is computed again for the replaced virtual servers only.
   * (FILE_CHECKs, which share track_file watchers across servers, take the whole path.)
   */
  private reloadSlice(next: KeepalivedConfig, slice: ReloadSlice): CheckerSubsystem {
    const prev = this.cfg;
    const prevIds = virtualServerIds(prev.lvs);
    const prevIndex = new Map(prev.lvs.virtualServers.map((vs, v) => [vs, v] as const));
    this.unsupportedSaid = new Set();
    this.cfg = next;
    const ids = virtualServerIds(next.lvs);
    const idSet = new Set(ids);
    const loose = new Map<string, Probed>(); // probes that lost a user: retired unless taken again
    // Moved virtual servers are new objects: their entries are made again (their probes are kept).
    const replaced = [...slice.gone, ...slice.movedFrom.values()];
    const added = [...slice.changed, ...slice.moved];
    for (const vs of replaced) {
      const vsId = prevIds[prevIndex.get(vs)!]!;
      for (const rs of vs.realServers) {
        const id = realServerId(vsId, rs);
        const info = this.servers.get(id);
        if (!info || info.rs !== rs) continue;
        this.servers.delete(id);
        this.health.up.delete(id);
        this.health.weight.delete(id);
        for (const key of info.probes) {
          const p = this.probes.get(key);
          if (!p) continue;
          p.users = p.users.filter((u) => u !== id);
          loose.set(key, p);
        }
      }
      if (!idSet.has(vsId)) this.health.quorumUp.delete(vsId);
    }
    // A probe no server uses any more is taken again only through addServers' check of how it was made.
    for (const [key, p] of loose) if (p.users.length === 0) this.probes.delete(key);
    // Kept virtual servers that moved in the list: their real servers follow.
    next.lvs.virtualServers.forEach((vs, v) => {
      const was = prevIndex.get(vs);
      if (was === undefined || was === v) return;
      for (const rs of vs.realServers) {
        const info = this.servers.get(realServerId(ids[v]!, rs));
        if (info) info.vsIndex = v;
      }
    });
    const fresh: Probed[] = [];
    for (const v of added) this.addServers(v, next.lvs.virtualServers[v]!, ids[v]!, fresh, undefined, loose);
    for (const [key, p] of loose) {
      if (this.probes.get(key) === p) continue;
      p.retired = true;
      p.probe.release?.();
    }
    const isFresh = new Set(fresh);
    for (const key of new Set([...loose.keys(), ...fresh.map((p) => p.key)])) {
      const p = this.probes.get(key);
      if (!p || isFresh.has(p) || Boolean(p.engineRun) === this.engineCanRun(p)) continue;
      const q = this.remake(p);
      this.probes.set(q.key, q);
      fresh.push(q);
    }
    this.liveWeight.clear();
    for (const v of added) {
      const vs = next.lvs.virtualServers[v]!;
      for (const rs of vs.realServers) {
        const id = realServerId(ids[v]!, rs);
        const info = this.servers.get(id);
        if (!info) continue;
        this.health.up.set(id, info.alive);
        const dyn = info.probes.map((k) => this.probes.get(k)!.weight).find((w) => w !== undefined);
        if (dyn !== undefined) this.health.weight.set(id, realWeight(dyn));
      }
      this.recomputeQuorum(v, !this.health.quorumUp.has(ids[v]!));
    }
    this.ensureOpenFiles();
    this.schedule(fresh);
    return this;
  }

  /** A probe made again for the same checker and users, with its state; the old one retires. */
  private remake(p: Probed): Probed {
    p.retired = true;
    p.probe.release?.();
    const info = this.servers.get(p.users[0]!)!;
    const vs = this.cfg.lvs.virtualServers[info.vsIndex]!;
    const virtualhost = info.rs.virtualhost ?? vs.virtualhost;
    const probe = (this.edges.createProbe ?? createProbe)(p.checker, {
      ...(this.cfg.lvs.ssl ? { ssl: this.cfg.lvs.ssl } : {}),
      ...(this.cfg.global.scriptUser ? { scriptUser: this.cfg.global.scriptUser } : {}),
      ...(virtualhost ? { virtualhost } : {}),
    })!;
    return {
      key: p.key,
      checker: p.checker,
      probe,
      made: p.made,
      state: p.state,
      users: p.users,
      checks: p.checks,
      failures: p.failures,
      ...(p.weight !== undefined ? { weight: p.weight } : {}),
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.trackers.values()) t.stop();
    this.abort.abort();
    this.wheel.clear();
    for (const p of this.probes.values()) p.probe.release?.();
    await this.pushing;
  }

  snapshot(): CheckerSnapshot {
    const vsIds = virtualServerIds(this.cfg.lvs);
    return {
      realServers: [...this.servers].map(([key, info]) => ({
        id: describeRs(this.cfg.lvs.virtualServers[info.vsIndex]!, info.rs),
        key,
        virtualServer: describeVs(this.cfg.lvs.virtualServers[info.vsIndex]!),
        address: info.rs.address,
        port: info.rs.port,
        alive: info.alive,
        weight: this.health.weight.get(key) ?? info.rs.weight,
        checkers: info.probes
          .map((k) => {
            const p = this.probes.get(k)!;
            // Successes the native engine handled alone are counted there.
            const e = p.engineRun ? p.probe.native!.stats() : undefined;
            const checks = p.checks + (e?.routine ?? 0);
            const lastMs = e && checks > 0 ? e.lastMs : p.lastMs;
            return {
              type: p.checker.type,
              up: p.state.up,
              ...(lastMs !== undefined ? { lastMs } : {}),
              ...(p.lastReason ? { lastReason: p.lastReason } : {}),
              checks,
              failures: p.failures,
            };
          })
          .concat(info.files.map((k) => ({ type: 'FILE_CHECK', up: this.fileChecks.get(k)!.up, checks: 0, failures: 0 }))),
      })),
      virtualServers: vsIds.map((key, v) => ({ id: describeVs(this.cfg.lvs.virtualServers[v]!), key, quorumUp: this.health.quorumUp.get(key) ?? true })),
    };
  }
}
