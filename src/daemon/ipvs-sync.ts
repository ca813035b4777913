/**
 * Daemon layer: lvs_sync_daemon, the kernel's IPVS connection-synchronisation threads driven by a VRRP
 * instance, as keepalived does: while the instance is MASTER the master sync daemon runs (connections
 * are sent to the peers), otherwise the backup one (connections are received), so that after a failover
 * the new MASTER already knows the established connections. Started in backup state; both stopped at
 * shutdown. Sync id: `id N`, else the instance's virtual_router_id.
 */
import type { KeepalivedConfig } from '../config/model.js';
import { IpvsClient } from '../ipvs/client.js';
import type { SyncDaemon } from '../ipvs/sync-daemon.js';
import type { Logger } from './log.js';
import { errorText } from '../util/errors.js';

type Role = 'master' | 'backup';

export class SyncDaemonDriver {
  private role: Role | undefined;
  private busy: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly client: IpvsClient,
    private spec: Omit<SyncDaemon, 'state'>,
    readonly instance: string,
    private readonly log: Logger,
  ) {}

  /** undefined when lvs_sync_daemon is not configured, or (said in the log) when it cannot run. */
  /** `adopt` (after a handover): a sync daemon the kernel already runs is taken over, not restarted. */
  static async start(cfg: KeepalivedConfig, log: Logger, adopt = false): Promise<SyncDaemonDriver | undefined> {
    const spec = specOf(cfg, log);
    if (!spec) return undefined;
    let client: IpvsClient;
    try {
      client = await IpvsClient.open();
    } catch (e) {
      log.error(`lvs_sync_daemon: ${errorText(e)}`);
      return undefined;
    }
    const d = new SyncDaemonDriver(client, spec.daemon, spec.instance, log);
    if (adopt) {
      try {
        const running = await client.getDaemons();
        const mine = running.find((r) => r.ifname === spec.daemon.ifname && r.syncId === spec.daemon.syncId);
        if (mine) {
          d.role = mine.state;
          log.info(`IPVS: ${mine.state} sync daemon on ${mine.ifname} (syncid ${mine.syncId}) kept from the handover`);
          return d;
        }
      } catch (e) {
        log.warn(`lvs_sync_daemon: ${errorText(e)}`);
      }
    }
    await d.set('BACKUP');
    return d;
  }

  /** `tskeepalived --handover`: closes the socket and leaves the kernel's sync daemon running. */
  detach(): void {
    this.role = undefined;
    this.client.close();
  }

  /** The driving instance's new state: MASTER runs the master daemon, anything else the backup one. */
  set(state: string): Promise<void> {
    const want: Role = state === 'MASTER' ? 'master' : 'backup';
    const run = this.busy.then(() => this.become(want));
    this.busy = run.catch(() => undefined);
    return run;
  }

  private async become(want: Role): Promise<void> {
    if (this.role === want) return;
    const other: Role = want === 'master' ? 'backup' : 'master';
    try {
      if (this.role === other) await this.client.stopDaemon(other);
      await this.client.startDaemon({ ...this.spec, state: want });
      this.role = want;
      this.log.info(`IPVS: ${want} sync daemon started on ${this.spec.ifname} (syncid ${this.spec.syncId})`);
    } catch (e) {
      this.log.error(`IPVS: ${want} sync daemon: ${errorText(e)}`);
    }
  }

  /** Stops the running sync daemon and closes the socket. */
  async stop(): Promise<void> {
    await this.busy;
    if (this.role) {
      try {
        await this.client.stopDaemon(this.role);
        this.log.info(`IPVS: ${this.role} sync daemon stopped`);
      } catch (e) {
        this.log.error(`IPVS: stopping the sync daemon: ${errorText(e)}`);
      }
    }
    this.role = undefined;
    this.client.close();
  }
}

function specOf(cfg: KeepalivedConfig, log: Logger): { daemon: Omit<SyncDaemon, 'state'>; instance: string } | undefined {
  const s = cfg.global.lvsSyncDaemon;
  if (!s) return undefined;
  const inst = cfg.vrrp.instances.find((i) => i.name === s.vrrpInstance);
  if (!inst) {
    log.error(`lvs_sync_daemon: VRRP instance ${s.vrrpInstance ?? '(none)'} does not exist - sync daemon not started`);
    return undefined;
  }
  const daemon: Omit<SyncDaemon, 'state'> = { ifname: s.interface, syncId: s.syncId ?? inst.virtualRouterId ?? 0 };
  if (s.maxLen !== undefined) daemon.maxLen = s.maxLen;
  if (s.group !== undefined) daemon.group = s.group;
  if (s.port !== undefined) daemon.port = s.port;
  if (s.ttl !== undefined) daemon.ttl = s.ttl;
  return { daemon, instance: inst.name };
}
