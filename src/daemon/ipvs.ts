/**
 * The daemon's IPVS side: keeps the kernel's IPVS table equal to what keepalived.conf asks for.
 *
 *   config -> desiredTable() -> diffTables(desired, kernel dump, owned) -> IpvsOp[] -> client.apply()
 *
 * Start: lvs_flush empties the table first, lvs_timeouts are set, then the table is reconciled against a
 * dump (entries that already exist are adopted, not re-added). Reload: the same reconciliation against
 * what this process believes the kernel holds, so a one-weight change is one netlink request; when the
 * reload says which virtual servers it replaced (ReloadSlice), only their services are built and compared,
 * so its cost does not grow with the rest of the table. Stop: the services this process programmed are
 * removed (lvs_flush_on_stop: everything), unless -I/--dont-release-ipvs. Entries made by someone else
 * are left alone. Without IPVS in the kernel the daemon says so and VRRP carries on.
 *
 * Repair (beyond keepalived, which never looks again): every tskeepalived_ipvs_check_interval seconds the
 * table is dumped and diffed like at start, so what someone changed behind our back (`ipvsadm -C`, a
 * destination deleted, a weight set by hand) is put back to the configuration and logged; services that
 * are not ours are still left alone.
 */
import type { KeepalivedConfig } from '../config/model.js';
import { IpvsClient, type DumpedService } from '../ipvs/client.js';
import type { RealServer } from '../config/model/lvs.js';
import type { ReloadSlice } from './lvs-delta.js';
import {
  desiredSlice,
  desiredTable,
  entryLocations,
  healthFingerprint,
  initialHealth,
  healthView,
  realServerEntries,
  virtualServerIds,
  type DestEntry,
  type HealthState,
  type HealthView,
} from '../ipvs/desired.js';
import { applyOpsInPlace, applyOpsToTable, diffDests, diffTables, teardownOps } from '../ipvs/diff.js';
import type { OpResult } from '../ipvs/explain.js';
import { RefusalMemory } from '../ipvs/refusals.js';
import { destKey, serviceKey, type IpvsOp, type IpvsTable } from '../ipvs/types.js';
import type { Logger } from './log.js';
import { errorText } from '../util/errors.js';

export interface IpvsApplyReport {
  ops: number;
  failed: number;
  requests: number;
  ms: number;
}

export class IpvsManager {
  /** serviceKey()s of the services this process has programmed (adopted ones included). */
  private readonly owned = new Set<string>();
  /**
   * What the kernel holds as far as this process knows: the dump taken at start with every change since
   * applied. Reloads and stop diff against it, as keepalived diffs against its previous configuration,
   * so a one-weight reload costs one request instead of a dump of every service.
   */
  private believed: IpvsTable = new Map();
  private busy: Promise<unknown> = Promise.resolve();
  /** The real servers' health as the checkers last reported it (keepalived's alpha state at start). */
  private health: HealthView | undefined;

  private constructor(
    private readonly client: IpvsClient,
    private readonly log: Logger,
  ) {}

  /**
   * Opens IPVS and programs `cfg`; undefined (after saying why) when the kernel has no IPVS. `carried`:
   * after `tskeepalived --handover`, the real servers' health the previous daemon left (handover.ts): the
   * table is reconciled against it (entries in place are adopted, a failed server is not re-added) and
   * lvs_flush does not empty it.
   */
  static async start(cfg: KeepalivedConfig, log: Logger, carried?: { health: HealthState }): Promise<IpvsManager | undefined> {
    let client: IpvsClient;
    try {
      client = await IpvsClient.open();
    } catch (e) {
      log.error(`${errorText(e)} - virtual servers not programmed; VRRP carries on`);
      return undefined;
    }
    const m = new IpvsManager(client, log);
    log.info('Initializing ipvs');
    if (carried) {
      m.health = healthView(carried.health);
      log.info('IPVS: starting from the handover state (table kept, real servers keep their health)');
    } else if (cfg.global.lvsFlush) {
      await client.flush();
      log.info('IPVS: table flushed (lvs_flush)');
    }
    const t = cfg.global.lvsTimeouts;
    if (t.tcpS !== undefined || t.tcpFinS !== undefined || t.udpS !== undefined) {
      await client.setTimeouts({ tcp: t.tcpS ?? 0, tcpFin: t.tcpFinS ?? 0, udp: t.udpS ?? 0 });
    }
    await m.reconcile(cfg, 'start');
    return m;
  }

  /**
   * Brings the kernel's table to what `cfg` asks for given the real servers' health (the last one given
   * is kept for later calls); serialised with any other change. A health change costs only the netlink
   * operations its difference needs.
   */
  reconcile(cfg: KeepalivedConfig, why: 'start' | 'reload' | 'health' | 'repair', health?: HealthView, slice?: ReloadSlice): Promise<IpvsApplyReport> {
    if (health) {
      this.health = health;
      this.healthGen++;
    }
    const run = this.busy.then(() =>
      why === 'reload' && this.isSettled(cfg) ? this.settledReload() : why === 'reload' && slice ? this.doSlice(cfg, slice) : this.doReconcile(cfg, why),
    );
    this.busy = run.catch(() => undefined);
    return run;
  }

  /**
   * The checkers' path: real servers changed health (`changed`: virtual server index and real server, or
   * 'all' after a quorum change). Changes arriving while a previous one is being applied are gathered into
   * one later pass, so a storm of failures costs a few passes, not one per server; each pass sends only the
   * requests for the servers that changed (O(changes)), or rebuilds the whole table when one of them can
   * move others (realServerEntries()).
   */
  healthChanged(cfg: KeepalivedConfig, health: HealthView, changed: ReadonlyArray<readonly [number, RealServer]> | 'all'): Promise<IpvsApplyReport> {
    this.health = health;
    this.healthGen++;
    this.healthCfg = cfg;
    if (changed === 'all') this.healthAll = true;
    else for (const [v, rs] of changed) this.healthPending.set(rs, v);
    if (this.healthRun) return this.healthRun;
    const run = this.busy.then(() => {
      this.healthRun = undefined;
      return this.doHealth();
    });
    this.healthRun = run;
    this.busy = run.catch(() => undefined);
    return run;
  }

  /** Counts the health changes reported (the view is live: a change shows as a new count). */
  private healthGen = 0;
  /**
   * The last whole-table pass: its configuration, the health count it read, whether every request
   * succeeded, and what it had to say about the configuration. While neither the configuration object
   * nor the health has changed since, the kernel holds exactly that table.
   */
  private settled: { cfg: KeepalivedConfig; gen: number; clean: boolean; services: number; problems: string[]; fingerprint: number[] } | undefined;

  private isSettled(cfg: KeepalivedConfig): boolean {
    const s = this.settled;
    return s !== undefined && s.cfg === cfg && s.gen === this.healthGen && s.clean;
  }

  /**
   * A reload whose table is already in the kernel: the checkers, restarted on the new configuration
   * just before, have pushed their health with it, and that pass sent what the reload needed. Said as a
   * reload says it, without a second diff of the whole table.
   */
  private settledReload(): IpvsApplyReport {
    const s = this.settled!;
    for (const p of s.problems) this.log.warn(`IPVS: ${p}`);
    this.refusals.clear();
    this.log.info(`IPVS: reload: ${s.services} virtual services, 0 changes (0 netlink requests, 0 failed) in 0.0 ms (applied with the checkers' health pass)`);
    return { ops: 0, failed: 0, requests: 0, ms: 0 };
  }

  private healthRun: Promise<IpvsApplyReport> | undefined;
  private healthCfg: KeepalivedConfig | undefined;
  private healthAll = false;
  /** Real servers changed since the last pass -> their virtual server's index; BOUNDED by the configuration. */
  private readonly healthPending = new Map<RealServer, number>();

  private async doHealth(): Promise<IpvsApplyReport> {
    const cfg = this.healthCfg!;
    const all = this.healthAll;
    const pending = [...this.healthPending];
    this.healthAll = false;
    this.healthPending.clear();
    if (all) return this.doReconcile(cfg, 'health');
    const t0 = performance.now();
    const ids = virtualServerIds(cfg.lvs);
    const entries: DestEntry[] = [];
    for (const [rs, v] of pending) {
      const e = realServerEntries(cfg.lvs, v, rs, ids[v]!, this.health!);
      if (!e) return this.doReconcile(cfg, 'health');
      entries.push(...e);
    }
    const ops = diffDests(entries, this.believed);
    if (!ops) return this.doReconcile(cfg, 'health');
    return this.applyHealthOps(ops, t0);
  }

  /** Kernel refusals already logged (each is logged once until it succeeds or the file is reloaded). */
  private readonly refusals = new RefusalMemory();

  /** Logs the refusals not logged before, each with the file:line of its entry; returns how many operations failed. */
  private logResults(results: ReadonlyArray<OpResult>, cfg: KeepalivedConfig): number {
    const where = (op: IpvsOp) => {
      const at = entryLocations(cfg.lvs);
      const key = serviceKey(op.service);
      return ('dest' in op ? at.get(`${key}>${destKey(op.dest)}`) : undefined) ?? at.get(key);
    };
    const { failed, fresh } = this.refusals.sort(results, where);
    for (const m of fresh) this.log.error(`IPVS: ${m}`);
    return failed;
  }

  private async applyHealthOps(ops: IpvsOp[], t0: number): Promise<IpvsApplyReport> {
    this.settled = undefined; // the table moves on from the last whole pass
    const requests0 = this.client.requestsSent;
    const results = await this.client.apply(ops);
    const failed = this.logResults(results, this.healthCfg!);
    applyOpsInPlace(
      this.believed,
      results.filter((r) => r.ok).map((r) => r.op),
    );
    return { ops: ops.length, failed, requests: this.client.requestsSent - requests0, ms: performance.now() - t0 };
  }

  /**
   * Sends a pass's changes, logs what the kernel refused, and records what it took: the believed table and the
   * services this process owns (those of `desired`, less the ones deleted). A whole pass gives the table it
   * compared with (`kernel`, a dump or the believed table), which the result replaces; a slice's pass updates
   * the believed table in place.
   */
  private async send(ops: IpvsOp[], cfg: KeepalivedConfig, desired: IpvsTable, kernel?: IpvsTable): Promise<number> {
    const results = await this.client.apply(ops);
    const failed = this.logResults(results, cfg);
    const took = results.filter((r) => r.ok).map((r) => r.op);
    if (kernel) this.believed = applyOpsToTable(kernel, took);
    else applyOpsInPlace(this.believed, took);
    for (const op of ops) if (op.op === 'del-service') this.owned.delete(serviceKey(op.service));
    for (const key of desired.keys()) this.owned.add(key);
    return failed;
  }

  private async doReconcile(cfg: KeepalivedConfig, why: string): Promise<IpvsApplyReport> {
    const t0 = performance.now();
    const requests0 = this.client.requestsSent;
    const gen = this.healthGen;
    this.health ??= healthView(initialHealth(cfg.lvs));
    const fingerprint = healthFingerprint(cfg.lvs, this.health);
    const s = this.settled;
    if (why === 'health' && s && s.cfg === cfg && s.clean && sameNumbers(s.fingerprint, fingerprint)) {
      // The checkers' first report (at start, after a reload) often says what the table was built with.
      s.gen = gen;
      return { ops: 0, failed: 0, requests: 0, ms: performance.now() - t0 };
    }
    this.settled = undefined;
    const { table, problems } = desiredTable(cfg.lvs, this.health);
    if (why !== 'health') for (const p of problems) this.log.warn(`IPVS: ${p}`);
    const kernel = why === 'start' || why === 'repair' ? await this.client.dumpTable() : this.believed;
    const ops = diffTables(table, kernel, { owned: this.owned, flush: false });
    if (why !== 'health') this.refusals.clear();
    const failed = await this.send(ops, cfg, table, kernel);
    this.settled = { cfg, gen, clean: failed === 0, services: table.size, problems, fingerprint };
    const report = { ops: ops.length, failed, requests: this.client.requestsSent - requests0, ms: performance.now() - t0 };
    if (why === 'repair') {
      if (report.ops > 0)
        this.log.warn(
          `IPVS: ${report.ops} entries changed behind our back were put back (${report.requests} netlink requests, ${failed} failed; check every ${Math.round(this.repairMs / 1000)} s)`,
        );
    } else if (why !== 'health' || report.ops > 0) {
      this.log.info(
        `IPVS: ${why}: ${table.size} virtual services, ${report.ops} changes (${report.requests} netlink requests, ${failed} failed) in ${report.ms.toFixed(1)} ms`,
      );
    }
    return report;
  }

  /**
   * A reload that replaced some virtual servers: only the services they make (and made) are built and
   * compared with what the kernel holds. The whole table is reconciled instead when the slice cannot stand
   * alone (desiredSlice) or health changes are still waiting to be applied.
   */
  private async doSlice(cfg: KeepalivedConfig, r: ReloadSlice): Promise<IpvsApplyReport> {
    const t0 = performance.now();
    const requests0 = this.client.requestsSent;
    if (this.healthAll || this.healthPending.size > 0) return this.doReconcile(cfg, 'reload');
    this.health ??= healthView(initialHealth(cfg.lvs));
    const slice = desiredSlice(cfg.lvs, r.changed, r.previous, r.gone, this.health);
    if (!slice) return this.doReconcile(cfg, 'reload');
    this.healthCfg = cfg;
    this.settled = undefined;
    for (const p of slice.problems) this.log.warn(`IPVS: ${p}`);
    const kernel: IpvsTable = new Map();
    for (const key of slice.keys) {
      const e = this.believed.get(key);
      if (e) kernel.set(key, e);
    }
    const ops = diffTables(slice.table, kernel, { owned: this.owned, flush: false });
    this.refusals.clear();
    const failed = await this.send(ops, cfg, slice.table);
    const report = { ops: ops.length, failed, requests: this.client.requestsSent - requests0, ms: performance.now() - t0 };
    this.log.info(
      `IPVS: reload: ${r.changed.length + r.gone.length} virtual server(s) replaced, ${report.ops} changes (${report.requests} netlink requests, ${failed} failed) in ${report.ms.toFixed(1)} ms`,
    );
    return report;
  }

  /** The kernel's counters for the services this process programmed (one dump; for metrics). */
  async counters(): Promise<DumpedService[]> {
    const all = await this.client.dumpWithStats();
    return all.filter((s) => this.owned.has(serviceKey(s.service)));
  }

  private repairTimer: NodeJS.Timeout | undefined;
  private repairMs = 0;
  private repairCfg: KeepalivedConfig | undefined;

  /**
   * Checks the kernel's table every `seconds` against the configuration (0: never); called at start and
   * on reload with the configuration in effect. A check waits for any change in progress.
   */
  scheduleRepair(cfg: KeepalivedConfig, seconds: number): void {
    this.repairCfg = cfg;
    const ms = Math.round(seconds * 1000);
    if (ms === this.repairMs && this.repairTimer) return;
    if (this.repairTimer) clearInterval(this.repairTimer);
    this.repairTimer = undefined;
    this.repairMs = ms;
    if (ms <= 0) return;
    this.repairTimer = setInterval(() => {
      if (this.stopped) return;
      this.reconcile(this.repairCfg!, 'repair').catch((e: Error) => this.log.warn(`IPVS: checking the table: ${e.message}`));
    }, ms);
    this.repairTimer.unref();
  }

  private stopped = false;

  /** Removes what this process programmed (or everything, for lvs_flush_on_stop), then closes. */
  async stop(cfg: KeepalivedConfig, opts: { release: boolean; why?: string }): Promise<void> {
    this.stopped = true;
    if (this.repairTimer) clearInterval(this.repairTimer);
    await this.busy;
    try {
      if (!opts.release) {
        this.log.info(`IPVS: leaving the virtual servers in place (${opts.why ?? '--dont-release-ipvs'})`);
        return;
      }
      if (cfg.global.lvsFlushOnStop === 'full') {
        await this.client.flush();
        this.log.info('IPVS: table flushed (lvs_flush_on_stop)');
        return;
      }
      const ops = teardownOps(this.believed, this.owned);
      const results = await this.client.apply(ops);
      const failed = results.filter((r) => !r.ok);
      for (const r of failed) this.log.error(`IPVS: ${r.message}`);
      this.log.info(`IPVS: removed ${ops.length - failed.length} virtual services at stop`);
    } catch (e) {
      this.log.error(`IPVS: cleaning up at stop failed: ${errorText(e)}`);
    } finally {
      this.client.close();
    }
  }
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
