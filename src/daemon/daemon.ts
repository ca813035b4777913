/**
 * Daemon layer: the work of one of the daemon's processes. The supervisor (supervisor.ts) reads and
 * validates keepalived.conf and starts a VRRP process and a checker process (child.ts), each running a
 * Daemon on its part of the configuration: VRRP instances and lvs_sync_daemon in one, IPVS and the health
 * checkers in the other, as keepalived splits them. A reload applies the new part by difference; stopping
 * is graceful: priority 0 adverts, VIPs removed (unless -V), the IPVS entries this process created
 * removed (unless -I), STOP notifies.
 */
import * as os from 'node:os';
import type { KeepalivedConfig } from '../config/model.js';
import { RtnlAddressManager } from '../net/rtnl.js';
import type { IpvsManager } from './ipvs.js';
import type { VirtualServer } from '../config/model/lvs.js';
import { reloadSlice } from './lvs-delta.js';
import type { HandoverCheckers, HandoverVrrp } from './handover.js';
import type { SyncDaemonDriver } from './ipvs-sync.js';
import type { CheckerSubsystem, CheckerSnapshot } from '../check/index.js';
import type { Logger } from './log.js';
import type { ProcessInfo } from './proc-info.js';
import { FifoWriter } from '../util/fifo.js';
import type { VrrpSubsystem, VrrpInstanceSnapshot, VrrpReloadReport } from './vrrp.js';
import { withoutLocs } from '../util/locs.js';
import { errorText } from '../util/errors.js';

export interface RunOptions {
  file: string;
  configId?: string;
  pidFile?: string;
  detail: boolean;
  /** -P/--vrrp: VRRP only. */
  vrrpOnly: boolean;
  /** -C/--check: IPVS and checkers only. */
  checkOnly: boolean;
  /** -e/--all-config */
  allConfig?: boolean;
  /** -I/--dont-release-ipvs */
  dontReleaseIpvs?: boolean;
  /** -s/--namespace: the network namespace to work in (overrides net_namespace). */
  namespace?: string;
  /** -R/--dont-respawn: a child that dies stops the daemon instead of being started again. */
  dontRespawn?: boolean;
  /** -V/--dont-release-vrrp */
  dontReleaseVrrp?: boolean;
  /** -r / -c: the VRRP and checker processes' pid files. */
  vrrpPidFile?: string;
  checkersPidFile?: string;
  /** The status socket; 'none' = no socket. Default /run/tskeepalived.sock. */
  statusSocket?: string;
  /** In the checker process: the VRRP process owns the global notify_fifo (this one writes into it). */
  notifyFifoElsewhere?: boolean;
  /** --metrics-listen ADDR:PORT */
  metricsListen?: string;
  /** --handover-file: the handover state file (default: handover.json in the run directory). */
  handoverFile?: string;
  /** Where SIGUSR1/SIGUSR2 write keepalived.data/.json/.stats (default /tmp). */
  dumpDir?: string;
  log?: import('./log.js').LogOptions;
}

/** One process's part of the handover state (handover.ts). */
export interface HandoverPart {
  vrrp?: HandoverVrrp;
  checkers?: HandoverCheckers;
}

export interface ReloadOutcome {
  ok: boolean;
  /** Why the new file was refused (the running configuration kept). */
  error?: string;
  vrrp?: VrrpReloadReport;
  ipvsChanges?: number;
  ms: number;
}

/** What one process's reload did. */
/** A reload rebuilt by difference: the configuration it was rebuilt from, and the virtual servers that only moved. */
export interface ReloadBy {
  previous: KeepalivedConfig;
  movedFrom: ReadonlyMap<VirtualServer, VirtualServer>;
}

export interface RoleReloadOutcome {
  ok: boolean;
  error?: string;
  /** A reload by difference that did not fit the process's configuration: the whole part must be sent. */
  stale?: boolean;
  vrrp?: VrrpReloadReport;
  ipvsChanges?: number;
}

/** One process's part of the snapshot. */
export interface RoleSnapshot {
  vrrp: VrrpInstanceSnapshot[];
  ipvs: boolean;
  checkers?: CheckerSnapshot;
}

export interface DaemonSnapshot {
  pid: number;
  configFile: string;
  startedAt: string;
  reloads: { ok: number; failed: number; last?: ReloadOutcome & { at: string } };
  vrrp: VrrpInstanceSnapshot[];
  ipvs: boolean;
  checkers?: CheckerSnapshot;
  /** The supervisor and each child process that answered. */
  processes?: ProcessInfo[];
}

export class Daemon {
  private busy: Promise<unknown> = Promise.resolve();
  private stopping = false;
  /** lvs_sync_daemon, driven by its VRRP instance. */
  private sync: SyncDaemonDriver | undefined;
  /** The health checkers (not with -P). */
  private checkers: CheckerSubsystem | undefined;
  /** lvs_notify_fifo, and notify_fifo when VRRP (which otherwise owns it) does not run. */
  private lvsFifos: FifoWriter[] = [];
  private lvsFifoSpec = '';

  private constructor(
    readonly o: RunOptions,
    readonly log: Logger,
    private cfg: KeepalivedConfig,
    private readonly addresses: RtnlAddressManager,
    readonly vrrp: VrrpSubsystem | undefined,
    readonly ipvs: IpvsManager | undefined,
  ) {}

  /** The configuration now running. */
  get config(): KeepalivedConfig {
    return this.cfg;
  }

  /**
   * Starts the subsystems of one process with a configuration already read and validated by the
   * supervisor (supervisor.ts): with `vrrpOnly` the VRRP process (instances, lvs_sync_daemon), with
   * `checkOnly` the checker process (IPVS and health checkers).
   */
  static async startRole(o: RunOptions, log: Logger, cfg: KeepalivedConfig, carried?: HandoverPart): Promise<Daemon> {
    // Each process loads only the code of its part (the VRRP process starts sooner without the checkers').
    const addresses = new RtnlAddressManager();
    const vrrp = o.checkOnly ? undefined : await (await import('./vrrp.js')).VrrpSubsystem.start(cfg, addresses, log, carried?.vrrp);
    const handedChecks = carried?.checkers;
    let ipvs: IpvsManager | undefined;
    if (!o.vrrpOnly && cfg.lvs.virtualServers.length > 0) {
      const { IpvsManager } = await import('./ipvs.js');
      ipvs = await IpvsManager.start(cfg, log, handedChecks ? { health: (await import('./handover.js')).carriedHealth(cfg.lvs, handedChecks) } : undefined);
    }
    ipvs?.scheduleRepair(cfg, cfg.global.ipvsCheckIntervalS);
    const d = new Daemon(o, log, cfg, addresses, vrrp, ipvs);
    if (!o.vrrpOnly) {
      d.openLvsFifos();
      const { CheckerSubsystem } = await import('../check/index.js');
      const { Mailer } = await import('../alert/mailer.js');
      const { quorumMail, realServerMail } = await import('../alert/messages.js');
      const mailer = new Mailer(() => d.cfg.global, { info: (m) => log.info(m), warn: (m) => log.warn(m) });
      d.checkers = CheckerSubsystem.start(cfg, ipvs, log, handedChecks ? CheckerSubsystem.carryFrom(cfg, handedChecks) : undefined, {
        fifo: (line) => d.lvsFifoWrite(line),
        isLocal: localAddress,
        // smtp_alert (real server: on by default when an smtp_server is set; virtual server: off).
        realServerMoved: (rs, vs, up, server) => {
          if (server.smtpAlert) mailer.send(realServerMail(mailer.routerId, rs, vs, up, server.checkers[0]?.type));
        },
        quorumMoved: (vs, q, server) => {
          if (server.smtpAlert) mailer.send(quorumMail(mailer.routerId, vs, q));
        },
      });
    }
    await d.startSync(carried !== undefined);
    return d;
  }

  /**
   * `tskeepalived --handover`: stops this process's work without releasing anything (no priority 0, VIPs,
   * routes and rules kept, IPVS table and sync daemon kept, no STOP notify) and returns its running state
   * for the state file. Idempotent with stop(): whichever comes first wins.
   */
  async handover(): Promise<HandoverPart> {
    if (this.stopping) return {};
    this.stopping = true;
    await this.busy;
    if (this.vrrp) this.vrrp.stateListener = undefined;
    const out: HandoverPart = {};
    // The checkers first: VRRP keeps advertising for as long as possible.
    if (this.checkers) {
      await this.checkers.stop();
      out.checkers = this.checkers.handoverState();
    }
    for (const f of this.lvsFifos) f.close();
    await this.ipvs?.stop(this.cfg, { release: false, why: 'handover' });
    this.sync?.detach();
    if (this.vrrp) out.vrrp = await this.vrrp.handover();
    this.addresses.close();
    return out;
  }

  /**
   * (Re)opens the checkers' FIFOs when their configuration changed. The global notify_fifo belongs to
   * the VRRP process when there is one (it creates the FIFO and runs its script); this process then only
   * writes its lines into it.
   */
  private openLvsFifos(): void {
    const g = this.cfg.global;
    const shared = this.o.notifyFifoElsewhere === true;
    const specs = [g.lvsNotifyFifo, this.vrrp || shared ? undefined : g.notifyFifo];
    const key = withoutLocs([specs, g.scriptUser, shared ? g.notifyFifo?.name : undefined]);
    if (key === this.lvsFifoSpec) return;
    this.lvsFifoSpec = key;
    for (const f of this.lvsFifos) f.close();
    const logger = { info: (m: string) => this.log.info(m), warn: (m: string) => this.log.warn(m) };
    this.lvsFifos = specs.map((s) => FifoWriter.open(s, logger, g.scriptUser)).filter((f): f is FifoWriter => f !== undefined);
    if (shared && g.notifyFifo?.name) this.lvsFifos.push(FifoWriter.attach(g.notifyFifo.name, logger));
  }

  private lvsFifoWrite(line: string): void {
    for (const f of this.lvsFifos) f.write(line);
    this.vrrp?.notifyFifoWrite(line);
  }

  /** lvs_sync_daemon follows its VRRP instance (keepalived runs it from the VRRP side, so not with -C). */
  private async startSync(adopt = false): Promise<void> {
    if (!this.vrrp || !this.cfg.global.lvsSyncDaemon) return;
    this.sync = await (await import('./ipvs-sync.js')).SyncDaemonDriver.start(this.cfg, this.log, adopt);
    const sync = this.sync;
    if (!sync) return;
    this.vrrp.stateListener = (name, state) => {
      if (name === sync.instance) void sync.set(state);
    };
    const now = this.vrrp.snapshot().find((i) => i.name === sync.instance);
    if (now) await sync.set(now.state);
  }

  /**
   * Applies a new configuration (already validated by the supervisor, and different from the running
   * one in this process's part). Serialised: one that arrives during another waits for it.
   */
  apply(next: KeepalivedConfig, by?: ReloadBy): Promise<RoleReloadOutcome> {
    const run = this.busy.then(() => this.doApply(next, by));
    this.busy = run.catch(() => undefined);
    return run;
  }

  /**
   * `by`: given when `next` was rebuilt by difference (lvs-delta.ts) from `previous`: the virtual servers
   * that are the same objects in both, or stand for one that only moved, did not change, and the checkers
   * and IPVS work only on the others.
   */
  private async doApply(next: KeepalivedConfig, by?: ReloadBy): Promise<RoleReloadOutcome> {
    if (this.stopping) return { ok: false, error: 'stopping' };
    const out: RoleReloadOutcome = { ok: true };
    if (this.vrrp) {
      try {
        out.vrrp = await this.vrrp.reload(next);
      } catch (e) {
        this.log.error(`reload: VRRP: ${errorText(e)}`);
        out.ok = false;
      }
    }
    const syncChanged = withoutLocs(next.global.lvsSyncDaemon) !== withoutLocs(this.cfg.global.lvsSyncDaemon);
    this.cfg = next;
    if (syncChanged) {
      await this.sync?.stop();
      this.sync = undefined;
      await this.startSync();
    }
    const slice = by ? reloadSlice(by.previous, next, by.movedFrom) : undefined;
    if (this.checkers) {
      this.openLvsFifos();
      this.checkers = await this.checkers.reload(next, { push: slice === undefined, ...(slice ? { slice } : {}) });
    }
    if (this.ipvs) {
      try {
        out.ipvsChanges = (await this.ipvs.reconcile(next, 'reload', undefined, slice)).ops;
        this.ipvs.scheduleRepair(next, next.global.ipvsCheckIntervalS);
      } catch (e) {
        this.log.error(`reload: IPVS: ${errorText(e)}`);
        out.ok = false;
      }
    }
    return out;
  }

  /** Graceful stop (SIGTERM/SIGINT). Idempotent. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.busy;
    if (this.vrrp) this.vrrp.stateListener = undefined; // the sync daemon is stopped, not moved to backup
    await this.vrrp?.stop({ releaseVips: this.o.dontReleaseVrrp !== true });
    await this.sync?.stop();
    await this.checkers?.stop();
    for (const f of this.lvsFifos) f.close();
    this.addresses.close();
    await this.ipvs?.stop(this.cfg, { release: this.o.dontReleaseIpvs !== true });
  }

  /** This process's part of the daemon's snapshot (the supervisor adds pid, file and reloads). */
  snapshot(): RoleSnapshot {
    return {
      vrrp: this.vrrp?.snapshot() ?? [],
      ipvs: this.ipvs !== undefined,
      ...(this.checkers ? { checkers: this.checkers.snapshot() } : {}),
    };
  }
}

/** ha_suspend: whether `address` is configured on an interface of this host (network namespace). */
let localCache = { at: -Infinity, set: new Set<string>() };
function localAddress(address: string): boolean {
  // Read at most every 500 ms (getifaddrs), however many ha_suspend checkers ask.
  const now = performance.now();
  if (now - localCache.at > 500) {
    const set = new Set<string>();
    for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) set.add(a.address.toLowerCase());
    localCache = { at: now, set };
  }
  return localCache.set.has(address.toLowerCase());
}
