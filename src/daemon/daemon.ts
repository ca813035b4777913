/**
 * Daemon layer: one running tskeepalived. Loads and validates keepalived.conf (refusing to start on what
 * keepalived would refuse), starts the subsystems — VRRP (src/daemon/vrrp.ts), IPVS (ipvs.ts) — and
 * applies a reload to each of them by difference. A reload first parses and validates the whole new
 * file; if it cannot be run, every error is logged with its file:line and the running configuration
 * stays untouched. Stopping is graceful: priority 0 adverts, VIPs removed (unless -V), the IPVS entries
 * this process created removed (unless -I), STOP notifies.
 */
import * as os from 'node:os';
import { formatDiagnostic, loadConfig } from '../config/index.js';
import type { KeepalivedConfig } from '../config/model.js';
import { RtnlAddressManager } from '../net/rtnl.js';
import { IpvsManager } from './ipvs.js';
import { SyncDaemonDriver } from './ipvs-sync.js';
import { CheckerSubsystem, type CheckerSnapshot } from '../check/index.js';
import type { Logger } from './log.js';
import { FifoWriter } from '../util/fifo.js';
import { VrrpSubsystem, withoutLocs, type VrrpInstanceSnapshot, type VrrpReloadReport } from './vrrp.js';

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
  /** -V/--dont-release-vrrp */
  dontReleaseVrrp?: boolean;
  /** -r / -c: more pid files (one process serves all: each holds its pid). */
  vrrpPidFile?: string;
  checkersPidFile?: string;
  /** The status socket; 'none' = no socket. Default /run/tskeepalived.sock. */
  statusSocket?: string;
  /** --metrics-listen ADDR:PORT */
  metricsListen?: string;
  /** Where SIGUSR1/SIGUSR2 write keepalived.data/.json/.stats (default /tmp). */
  dumpDir?: string;
  log?: import('./log.js').LogOptions;
}

export interface ReloadOutcome {
  ok: boolean;
  /** Why the new file was refused (the running configuration kept). */
  error?: string;
  vrrp?: VrrpReloadReport;
  ipvsChanges?: number;
  ms: number;
}

export interface DaemonSnapshot {
  pid: number;
  configFile: string;
  startedAt: string;
  reloads: { ok: number; failed: number; last?: ReloadOutcome & { at: string } };
  vrrp: VrrpInstanceSnapshot[];
  ipvs: boolean;
  checkers?: CheckerSnapshot;
}

export class Daemon {
  private readonly startedAt = new Date();
  private reloads = { ok: 0, failed: 0 } as DaemonSnapshot['reloads'];
  /**
   * Error messages (without their file:line) the running configuration was accepted with: keepalived
   * runs a file with errors (exit code 5 of -t), so we do too at start; a reload is refused only for
   * errors that are new. BOUNDED by the diagnostics of one load.
   */
  private acceptedErrors: Set<string>;
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
    errors: string[],
  ) {
    this.acceptedErrors = new Set(errors);
  }

  /** The configuration now running. */
  get config(): KeepalivedConfig {
    return this.cfg;
  }

  /** Loads the file and starts every subsystem; a number (the exit status) when it cannot start. */
  static async start(o: RunOptions, log: Logger): Promise<Daemon | number> {
    const loaded = load(o, log);
    if (typeof loaded === 'string') {
      log.error(`${loaded} - not starting`);
      return 1;
    }
    const cfg = loaded.config;
    if (cfg.vrrp.startupError) log.warn(`VRRP: ${cfg.vrrp.startupError}`);
    const untracked = cfg.vrrp.instances.some((i) => i.trackBfds.length > 0);
    if (untracked) log.warn('track_bfd is not acted on yet (no BFD in tskeepalived)');

    const addresses = new RtnlAddressManager();
    const vrrp = o.checkOnly ? undefined : await VrrpSubsystem.start(cfg, addresses, log);
    const ipvs = !o.vrrpOnly && cfg.lvs.virtualServers.length > 0 ? await IpvsManager.start(cfg, log) : undefined;
    log.info(`tskeepalived started: ${vrrp?.instanceCount ?? 0} VRRP instance(s)${ipvs ? ', IPVS programmed' : ''}`);
    const d = new Daemon(o, log, cfg, addresses, vrrp, ipvs, loaded.errors);
    if (!o.vrrpOnly) {
      d.openLvsFifos();
      d.checkers = CheckerSubsystem.start(cfg, ipvs, log, undefined, { fifo: (line) => d.lvsFifoWrite(line), isLocal: localAddress });
    }
    await d.startSync();
    return d;
  }

  /** (Re)opens the checkers' FIFOs when their configuration changed. */
  private openLvsFifos(): void {
    const g = this.cfg.global;
    const specs = [g.lvsNotifyFifo, this.vrrp ? undefined : g.notifyFifo];
    const key = withoutLocs([specs, g.scriptUser]);
    if (key === this.lvsFifoSpec) return;
    this.lvsFifoSpec = key;
    for (const f of this.lvsFifos) f.close();
    const logger = { info: (m: string) => this.log.info(m), warn: (m: string) => this.log.warn(m) };
    this.lvsFifos = specs.map((s) => FifoWriter.open(s, logger, g.scriptUser)).filter((f): f is FifoWriter => f !== undefined);
  }

  private lvsFifoWrite(line: string): void {
    for (const f of this.lvsFifos) f.write(line);
    this.vrrp?.notifyFifoWrite(line);
  }

  /** lvs_sync_daemon follows its VRRP instance (keepalived runs it from the VRRP side, so not with -C). */
  private async startSync(): Promise<void> {
    if (!this.vrrp) return;
    this.sync = await SyncDaemonDriver.start(this.cfg, this.log);
    const sync = this.sync;
    if (!sync) return;
    this.vrrp.stateListener = (name, state) => {
      if (name === sync.instance) void sync.set(state);
    };
    const now = this.vrrp.snapshot().find((i) => i.name === sync.instance);
    if (now) await sync.set(now.state);
  }

  /**
   * SIGHUP. Serialised: a reload that arrives during another waits for it. The new file is parsed and
   * validated completely before anything changes.
   */
  reload(): Promise<ReloadOutcome> {
    const run = this.busy.then(() => this.doReload());
    this.busy = run.catch(() => undefined);
    return run;
  }

  private async doReload(): Promise<ReloadOutcome> {
    const t0 = performance.now();
    const done = (r: Omit<ReloadOutcome, 'ms'>): ReloadOutcome => {
      const out = { ...r, ms: performance.now() - t0 };
      if (out.ok) this.reloads.ok++;
      else this.reloads.failed++;
      this.reloads.last = { ...out, at: new Date().toISOString() };
      return out;
    };
    if (this.stopping) return done({ ok: false, error: 'stopping' });
    this.log.info(`Reloading: ${this.o.file}`);
    const loaded = load(this.o, this.log);
    if (typeof loaded === 'string') {
      this.log.error(`reload: ${loaded} - keeping the running configuration`);
      return done({ ok: false, error: loaded });
    }
    const fresh = loaded.errors.filter((e) => !this.acceptedErrors.has(e));
    if (fresh.length > 0) {
      const why = `${this.o.file} has ${fresh.length} new error(s)`;
      this.log.error(`reload: ${why} - keeping the running configuration`);
      return done({ ok: false, error: why });
    }
    const next = loaded.config;
    this.acceptedErrors = new Set(loaded.errors);
    if (withoutLocs(next) === withoutLocs(this.cfg)) {
      this.log.info('reload: configuration unchanged');
      this.cfg = next;
      return done({ ok: true, ipvsChanges: 0 });
    }
    const out: Omit<ReloadOutcome, 'ms'> = { ok: true };
    if (this.vrrp) {
      try {
        out.vrrp = await this.vrrp.reload(next);
      } catch (e) {
        this.log.error(`reload: VRRP: ${(e as Error).message}`);
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
    if (this.checkers) {
      this.openLvsFifos();
      this.checkers = await this.checkers.reload(next);
    }
    if (this.ipvs) {
      try {
        out.ipvsChanges = (await this.ipvs.reconcile(next, 'reload')).ops;
      } catch (e) {
        this.log.error(`reload: IPVS: ${(e as Error).message}`);
        out.ok = false;
      }
    }
    this.log.info(`Reload finished${out.ok ? '' : ' with errors'}`);
    return done(out);
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

  snapshot(): DaemonSnapshot {
    return {
      pid: process.pid,
      configFile: this.o.file,
      startedAt: this.startedAt.toISOString(),
      reloads: { ...this.reloads },
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

/**
 * The configuration and its error messages (without file:line), or why it cannot be run. Every
 * diagnostic is logged with its file:line.
 */
function load(o: RunOptions, log: Logger): { config: KeepalivedConfig; errors: string[] } | string {
  const res = loadConfig(o.file, { ...(o.configId !== undefined ? { configId: o.configId } : {}), allConfig: o.allConfig === true });
  const errors: string[] = [];
  for (const d of res.diagnostics.list) {
    if (d.severity === 'info') continue;
    if (d.severity === 'error') {
      log.error(formatDiagnostic(d));
      errors.push(d.message);
    } else log.warn(formatDiagnostic(d));
  }
  if (res.exitCode === 2 || res.exitCode === 4) return `configuration ${o.file} cannot be run`;
  return { config: res.config, errors };
}
