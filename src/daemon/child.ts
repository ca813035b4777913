/**
 * Daemon layer, entry of a child process: the VRRP process or the checker process, forked by the
 * supervisor (supervisor.ts) with an IPC channel. It never reads keepalived.conf: its part of the
 * configuration arrives with the `start` and `reload` requests, already validated.
 *
 * Requests: start, reload, snapshot, counters (IPVS counters for the metrics), stop, handover (stop
 * without releasing anything, answering with this process's state for the handover file). Signals are the
 * supervisor's business (it relays what concerns a child as a request): SIGINT, SIGHUP and SIGUSR1/2 are
 * ignored here, so a Ctrl-C on a foreground daemon stops the children once, in order, through the
 * supervisor. SIGTERM sent to a child alone stops it gracefully (the supervisor then starts a new one).
 * If the supervisor goes away (killed), the channel closes and the child stops gracefully, as
 * keepalived's children do when their parent dies.
 *
 * For tests only: with TSKEEPALIVED_TEST_STALL_MS=N in its environment, the VRRP process answers SIGUSR2
 * by busy-waiting N ms (a stalled event loop, as a long garbage collection or a swapped-out page would
 * cause); test/e2e/stall-netns.test.ts injects stalls with it. Without the variable SIGUSR2 is ignored.
 */
import { applyVsDelta, type ReloadRequest } from './lvs-delta.js';
import type { VirtualServer } from '../config/model/lvs.js';
import { Daemon, type HandoverPart, type RoleReloadOutcome, type RoleSnapshot, type RunOptions } from './daemon.js';
import { RpcPeer } from './ipc.js';
import { createLogger, type Logger } from './log.js';
import type { Role } from './parts.js';
import { processInfo, type ProcessInfo } from './proc-info.js';
import { applyScheduling } from './sched.js';
import { collectGarbageSoon, holdGarbageCollection } from '../util/gc.js';
import type { KeepalivedConfig } from '../config/model.js';
import { reportText } from '../util/errors.js';

export interface ChildStart {
  role: Role;
  options: RunOptions;
  config: KeepalivedConfig;
  /** This process's part of a handover state file: start from it (handover.ts). */
  handover?: HandoverPart;
}

export type ChildStartReply = { ok: true; instances: number; ipvs: boolean } | { ok: false; errors: string[] };

export type ChildSnapshot = RoleSnapshot & { process: ProcessInfo };

const STALL_ENV = 'TSKEEPALIVED_TEST_STALL_MS';

/** Blocks the event loop for `ms` (busy-waiting: no timer, no socket is served meanwhile). */
function stall(ms: number, log: Logger | undefined): void {
  const t0 = performance.now();
  while (performance.now() - t0 < ms);
  log?.info(`${STALL_ENV}: event loop stalled for ${ms} ms`);
}

function main(): void {
  const role = process.argv[2] === 'tskeepalived-checkers' ? 'checkers' : 'vrrp';
  process.title = `tskeepalived-${role}`;
  // Forked before the file is read: each process loads its code while the supervisor parses.
  if (role === 'vrrp') void import('./vrrp.js').catch(() => undefined);
  else
    void Promise.all([import('./ipvs.js'), import('../check/index.js'), import('../alert/mailer.js'), import('../alert/messages.js')]).catch(() => undefined);
  let daemon: Daemon | undefined;
  let log: Logger | undefined;
  let stopping: Promise<void> | undefined;

  const stop = (why?: string): Promise<void> => {
    stopping ??= (async () => {
      if (why) log?.info(why);
      await daemon?.stop();
    })();
    return stopping;
  };
  const stopAndExit = (why?: string) => void stop(why).finally(() => process.exit(0));

  for (const sig of ['SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const) process.on(sig, () => undefined);
  const stallMs = role === 'vrrp' ? Number(process.env[STALL_ENV] ?? 0) : 0;
  if (stallMs > 0) process.on('SIGUSR2', () => stall(stallMs, log));
  process.on('SIGTERM', () => stopAndExit('SIGTERM received: stopping'));
  process.on('disconnect', () => stopAndExit(daemon ? 'the supervising process went away: stopping' : undefined));

  /** The generation of the configuration this process runs (lvs-delta.ts); 0 is the one it started with. */
  let generation = 0;
  /** A reload request: the whole part, or its virtual servers as a difference from the list of generation `base`. */
  const reload = async (d: Daemon, r: ReloadRequest<KeepalivedConfig>): Promise<RoleReloadOutcome> => {
    let next = r.config;
    let by: { previous: KeepalivedConfig; movedFrom: Map<VirtualServer, VirtualServer> } | undefined;
    if (r.delta) {
      const previous = d.config;
      const applied = r.delta.base === generation ? applyVsDelta(previous.lvs.virtualServers, r.delta.vs) : undefined;
      if (!applied) return { ok: false, stale: true };
      next = { ...next, lvs: { ...next.lvs, virtualServers: applied.list } };
      by = { previous, movedFrom: applied.movedFrom };
    }
    const out = await d.apply(next, by);
    // A reload refused before it took the configuration (stopping) leaves the generation as it was.
    if (d.config === next) generation = r.gen;
    return out;
  };
  const rpc = new RpcPeer(process, {
    start: async (arg): Promise<ChildStartReply> => {
      const a = arg as ChildStart;
      let errors: string[] | undefined = [];
      log = createLogger({
        ...(a.options.log ?? { detail: a.options.detail, console: true }),
        ident: `tskeepalived_${role === 'vrrp' ? 'vrrp' : 'healthcheckers'}${a.options.namespace ? `_${a.options.namespace}` : ''}`,
        tap: (level, text) => level >= 50 && errors?.push(text),
      });
      applyScheduling(role, a.config.global.other, log);
      try {
        daemon = await Daemon.startRole(a.options, log, a.config, a.handover);
      } catch (e) {
        log.error(`start failed: ${reportText(e)}`);
        const out = errors;
        errors = undefined;
        return { ok: false, errors: out };
      }
      errors = undefined;
      if (role !== 'vrrp') collectGarbageSoon();
      return { ok: true, instances: daemon.vrrp?.instanceCount ?? 0, ipvs: daemon.ipvs !== undefined };
    },
    reload: async (arg): Promise<RoleReloadOutcome> => {
      if (!daemon) throw new Error('not started');
      // A collection due from the start or the last reload waits until this one is done.
      const release = holdGarbageCollection();
      const req = arg as ReloadRequest<KeepalivedConfig>;
      try {
        return await reload(daemon, req);
      } finally {
        release();
        // A difference leaves little garbage: an ordinary collection keeps the code warm for the next reload.
        if (role !== 'vrrp') collectGarbageSoon(req.delta === undefined);
      }
    },
    snapshot: (): ChildSnapshot => {
      const part: RoleSnapshot = daemon?.snapshot() ?? { vrrp: [], ipvs: false };
      return { ...part, process: processInfo(role) };
    },
    counters: () => daemon?.ipvs?.counters() ?? [],
    // `tskeepalived --handover`: stop without releasing anything; the answer is this process's state.
    handover: async (): Promise<HandoverPart> => {
      let part: HandoverPart = {};
      stopping ??= (async () => {
        log?.info('handover: stopping without releasing anything');
        if (daemon) part = await daemon.handover();
      })();
      await stopping;
      return part;
    },
    stop: async () => {
      await stop();
      // The supervisor disconnects once it has the answer; that ends this process (see 'disconnect').
    },
  });
  void rpc;
}

main();
