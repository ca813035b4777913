/**
 * Daemon layer: the supervising process, keepalived's parent. It reads and validates keepalived.conf, then
 * runs the work in child processes (child.ts), each on an event loop of its own:
 *
 *   supervisor ── signals, pid files, reload (parse + validate + which part changed), status socket,
 *   │             dumps and metrics (it asks the children and merges their answers)
 *   ├── VRRP process      VRRP instances, VIPs, GARP/NA, notify scripts and FIFO, lvs_sync_daemon
 *   └── checker process   IPVS and the health checkers (only when there are virtual servers)
 *
 * so nothing the checkers, IPVS, a reload's parsing or a scrape do can delay an advertisement. A child that
 * dies is started again (with the running configuration) and logged as keepalived logs it; -r and -c name
 * the children's pid files. Reloads are serialised; each child receives only its own part of the new
 * configuration, and only when that part changed (parts.ts).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { formatDiagnostic } from '../config/index.js';
import { rehearseReload, reloadConfig, type LoadMemo } from '../config/reload.js';
import type { LoadOptions } from '../config/index.js';
import { collectGarbageSoon, holdGarbageCollection, onCodeDropped } from '../util/gc.js';
import { NOT_ACTED_ON } from '../config/diagnostics.js';
import { runStartStopScript } from './start-stop-script.js';
import type { KeepalivedConfig } from '../config/model.js';
import type { DumpedService } from '../ipvs/client.js';
import type { ChildStart, ChildStartReply, ChildSnapshot } from './child.js';
import type { DaemonSnapshot, ReloadOutcome, RoleReloadOutcome, RunOptions } from './daemon.js';
import { RpcPeer } from './ipc.js';
import type { Logger } from './log.js';
import { partFor, ROLE_TITLE, rolesFor, type Role } from './parts.js';
import { releasePidFiles, writePidFile } from './pidfile.js';
import { processInfo, type ProcessInfo } from './proc-info.js';
import type { VrrpReloadReport } from './vrrp.js';
import { withoutLocs } from '../util/locs.js';
import type { LvsConfig } from '../config/model/lvs.js';
import { vsDelta, type ReloadRequest } from './lvs-delta.js';
import { READY_ENV } from './background.js';
import type { HandoverPart } from './daemon.js';
import { bootId, HANDOVER_FORMAT, type HandoverState } from './handover.js';
import { errorText } from '../util/errors.js';

const requireJson = createRequire(import.meta.url);
/** This program's version (recorded in the handover file). */
function programVersion(): string {
  try {
    return (requireJson('../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** dist/daemon/child.js, also when this module runs from the sources (tests import src/). */
const CHILD_ENTRY = (() => {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return path.join(path.dirname(here), '../../dist/daemon/child.js');
  return path.join(path.dirname(here), 'child.js');
})();

/** How long a child may take to start (VRRP sockets, an IPVS table of 10,000 entries) or to stop. */
const START_TIMEOUT_MS = 300_000;
const STOP_TIMEOUT_MS = 30_000;
/** A child that ran this long before dying is started again at once; sooner, after a growing pause. */
const STABLE_MS = 10_000;

/**
 * The children forked before the file is read (prefork()): each loads its code while the supervisor
 * parses, which takes that time off its start. Taken by the first spawn() of its role outside a namespace.
 * BOUNDED: one per role.
 */
const preforked = new Map<Role, ChildProcess>();

/**
 * Whether the file may define virtual servers, read cheaply before it is parsed: it names
 * `virtual_server` or includes other files. A VRRP-only file never forks a checker process it would drop.
 */
function mayHaveVirtualServers(file: string): boolean {
  try {
    return /virtual_server|include/.test(fs.readFileSync(file, 'latin1'));
  } catch {
    return false;
  }
}

/**
 * V8 options of a child beyond the supervisor's own. The checker process allocates steadily (a result per
 * check), so V8 grows its young generation to its default ceiling (two 32 MiB semi-spaces on a 64-bit
 * machine) and keeps it: capped at 4 MiB, the process holds ~55 MiB less with 10,000 TCP_CHECKs for a few
 * percent more CPU (docs/architecture.md, "Memory"). An operator's own `--max-semi-space-size` wins.
 */
function childExecArgv(role: Role): string[] {
  const own = process.execArgv;
  if (role === 'checkers' && !own.some((a) => a.startsWith('--max-semi-space-size'))) return [...own, '--max-semi-space-size=4'];
  return own;
}

function forkChild(role: Role, netns: string | undefined): ChildProcess {
  const env = { ...process.env };
  delete env[READY_ENV];
  const args = [`tskeepalived-${role}`];
  if (netns !== undefined) args.push(`--netns=${netns}`);
  const execArgv = childExecArgv(role);
  // In a network namespace: through `ip netns exec`, which also remounts /sys for that namespace (the
  // interface trackers read it); the IPC channel's descriptor survives the exec.
  return netns === undefined
    ? fork(CHILD_ENTRY, args, { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env, execArgv })
    : spawn('ip', ['netns', 'exec', netns, process.execPath, ...execArgv, CHILD_ENTRY, ...args], {
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env,
      });
}

interface Child {
  role: Role;
  proc: ChildProcess;
  rpc: RpcPeer;
  startedAt: number;
  exited: Promise<void>;
  /** The last generation asked of the child (lvs-delta.ts). */
  gen: number;
  /**
   * The checker process's part as it last took it (its virtual servers, the rest as a key without file:line),
   * to send a reload as a difference; undefined when unknown (a reload failed), and the whole part goes.
   */
  sent?: { gen: number; lvs: LvsConfig; rest: string };
}

export interface SupervisorHooks {
  /** Error lines of a child that failed to start (it logged them itself). */
  startErrors?: (lines: string[]) => void;
  /** With -R: a child died and the daemon must stop (as on SIGTERM). */
  fatal?: (why: string) => void;
}

export class Supervisor {
  private readonly startedAt = new Date();
  private reloads: DaemonSnapshot['reloads'] = { ok: 0, failed: 0 };
  private readonly children = new Map<Role, Child>();
  /** The part each child runs, without file:line, to send a reload only to the children it changes. */
  private readonly partKeys = new Map<Role, string>();
  /** Quick deaths in a row per role (respawn back-off). BOUNDED: one counter per role. */
  private readonly quickDeaths = new Map<Role, number>();
  private readonly respawnTimers = new Map<Role, NodeJS.Timeout>();
  /** The last pid of each role's child, to remove the -r/-c pid files naming it at stop. */
  private readonly lastPids = new Map<Role, number>();
  private busy: Promise<unknown> = Promise.resolve();
  /** The load of the running configuration: a reload parses again only what changed since (reload.ts). */
  private memo: LoadMemo | undefined;
  private stopping = false;
  /** Set once the first start succeeded: a child that fails to start later is stopped and retried. */
  private running = false;

  private constructor(
    readonly o: RunOptions,
    readonly log: Logger,
    private cfg: KeepalivedConfig,
    /**
     * Error messages (without their file:line) the running configuration was accepted with: keepalived
     * runs a file with errors (exit code 5 of -t), so we do too at start; a reload is refused only for
     * errors that are new. BOUNDED by the diagnostics of one load.
     */
    private acceptedErrors: Set<string>,
    private readonly hooks: SupervisorHooks,
    /** The network namespace the children run in (fixed at start, as keepalived's). */
    private readonly netns: string | undefined,
  ) {}

  /** The configuration now running. */
  get config(): KeepalivedConfig {
    return this.cfg;
  }

  /**
   * Reads and validates the file (every diagnostic logged with file:line); the exit status when it
   * cannot be run.
   */
  static load(o: RunOptions, log: Logger): Loaded | number {
    const loaded = load(o, log);
    if (typeof loaded === 'string') {
      log.error(`${loaded} - not starting`);
      return 1;
    }
    return loaded;
  }

  /**
   * The network namespace the daemon works in: `-s NAME`, else `net_namespace` (keepalived's order), or
   * undefined for the one it was started in.
   */
  static namespaceOf(o: RunOptions, cfg: KeepalivedConfig): string | undefined {
    return o.namespace ?? cfg.global.netNamespace;
  }

  /**
   * Forks the VRRP process (not with -C), and the checker process when the file may have virtual servers
   * (not with -P), at once, before the file is read (not with -s: the namespace decides how they are
   * started); start() hands each its part. dropPrefork() ends those the start does not take.
   */
  static prefork(o: RunOptions): void {
    if (o.namespace !== undefined) return;
    const roles: Role[] = [];
    if (!o.checkOnly) roles.push('vrrp');
    if (!o.vrrpOnly && mayHaveVirtualServers(o.file)) roles.push('checkers');
    for (const role of roles) {
      if (preforked.has(role)) continue;
      const p = forkChild(role, undefined);
      p.on('error', () => undefined);
      preforked.set(role, p);
    }
  }

  /** Ends the preforked child of `role` (of every role without one) that no spawn() took. */
  static dropPrefork(role?: Role): void {
    for (const [r, p] of preforked) {
      if (role !== undefined && r !== role) continue;
      if (p.connected) p.disconnect();
      p.kill('SIGTERM');
      preforked.delete(r);
    }
  }

  /** Starts the children on a loaded configuration; a number (the exit status) when it cannot start. */
  /** `handover`: the state a previous daemon left with `--handover` (each child gets its part). */
  static async start(o: RunOptions, log: Logger, loaded: Loaded, hooks: SupervisorHooks = {}, handover?: HandoverState): Promise<Supervisor | number> {
    const cfg = loaded.config;
    const netns = Supervisor.namespaceOf(o, cfg);
    if (o.namespace && cfg.global.netNamespace && o.namespace !== cfg.global.netNamespace) {
      log.info(`Overriding config net_namespace '${cfg.global.netNamespace}' with command line namespace '${o.namespace}'`);
    }
    if (netns !== undefined) {
      const why = namespaceProblem(netns);
      if (why) {
        log.error(`${why} - not starting`);
        return 1;
      }
      log.info(`Running in network namespace ${netns}`);
    }
    if (cfg.vrrp.startupError) log.warn(`VRRP: ${cfg.vrrp.startupError}`);
    const s = new Supervisor(o, log, cfg, new Set(loaded.errors), hooks, netns);
    s.memo = loaded.memo;
    await runStartStopScript('startup', cfg.global, log);
    const roles = rolesFor(cfg, o);
    const part = (r: Role): HandoverPart | undefined => {
      if (!handover) return undefined;
      return r === 'vrrp' ? (handover.vrrp ? { vrrp: handover.vrrp } : {}) : handover.checkers ? { checkers: handover.checkers } : {};
    };
    const started = await Promise.all(roles.map((r) => s.spawn(r, cfg, part(r))));
    if (started.some((r) => !r.ok)) {
      await s.stop();
      return 1;
    }
    // The -r/-c file of a process that does not run (claimed with this pid to refuse a second daemon).
    for (const [role, file] of [
      ['vrrp', o.vrrpPidFile],
      ['checkers', o.checkersPidFile],
    ] as const)
      if (file && !roles.includes(role)) releasePidFiles([file]);
    const instances = started.reduce((n, r) => n + (r.ok ? r.instances : 0), 0);
    const ipvs = started.some((r) => r.ok && r.ipvs);
    log.info(`tskeepalived started: ${instances} VRRP instance(s)${ipvs ? ', IPVS programmed' : ''}`);
    collectGarbageSoon();
    onCodeDropped(() => s.rehearse());
    s.running = true;
    return s;
  }

  /**
   * After each collection that gave memory back (after the start, a whole parse, or when the heap grew;
   * util/gc.ts), which throws compiled code away: one reload by difference of the running file, in memory and
   * dropped (reload.ts rehearseReload), so the next SIGHUP finds its code compiled. Waits for a reload in
   * progress; none while stopping.
   */
  private rehearse(): void {
    this.busy = this.busy.then(() => {
      if (this.stopping || !this.memo || process.env.TSKEEPALIVED_FULL_RELOAD === '1') return;
      const t0 = performance.now();
      try {
        const ran = rehearseReload(this.memo, loadOptions(this.o));
        this.log.debug(`reload path ${ran ? 'compiled' : 'not compiled (no reload by difference for this file)'} in ${(performance.now() - t0).toFixed(1)} ms`);
      } catch (e) {
        this.log.debug(`reload path not compiled: ${errorText(e)}`);
      }
    });
  }

  /** Ready when started and every process the configuration needs is running and connected. */
  readiness(): { ready: boolean; why?: string } {
    if (this.stopping) return { ready: false, why: 'stopping' };
    if (!this.running) return { ready: false, why: 'starting' };
    for (const role of rolesFor(this.cfg, this.o)) {
      const c = this.children.get(role);
      if (!c || c.proc.exitCode !== null || c.proc.signalCode !== null || !c.proc.connected)
        return { ready: false, why: `the ${ROLE_TITLE[role]} process is not running` };
    }
    return { ready: true };
  }

  /** This process's pid and the last pid of each child, for the pid files. */
  pids(): number[] {
    return [process.pid, ...this.lastPids.values()];
  }

  /** Forks the child of `role` and starts it on its part of `cfg`. */
  private async spawn(role: Role, cfg: KeepalivedConfig, handover?: HandoverPart): Promise<ChildStartReply> {
    let proc: ChildProcess;
    const pre = preforked.get(role);
    if (this.netns === undefined && pre && pre.exitCode === null && pre.signalCode === null) {
      proc = pre;
      preforked.delete(role);
    } else proc = forkChild(role, this.netns);
    Supervisor.dropPrefork(role);
    const rpc = new RpcPeer(proc);
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const child: Child = { role, proc, rpc, startedAt: performance.now(), exited, gen: 0 };
    this.children.set(role, child);
    proc.on('error', (e) => this.log.error(`${ROLE_TITLE[role]} child process: ${e.message}`));
    proc.once('exit', (code, sig) => this.exited(child, code, sig));
    if (proc.pid) this.lastPids.set(role, proc.pid);
    const pidFile = role === 'vrrp' ? this.o.vrrpPidFile : this.o.checkersPidFile;
    if (pidFile && proc.pid) {
      try {
        writePidFile(pidFile, proc.pid);
      } catch (e) {
        this.log.error(`${ROLE_TITLE[role]} pid file: ${errorText(e)} (the child runs on)`);
      }
    }
    const part = partFor(role, cfg);
    if (role === 'checkers') child.sent = { gen: 0, lvs: part.lvs, rest: restKey(part) };
    else this.partKeys.set(role, withoutLocs(part));
    const options: RunOptions = {
      ...this.o,
      ...(this.netns !== undefined ? { namespace: this.netns } : {}),
      vrrpOnly: role === 'vrrp',
      checkOnly: role === 'checkers',
      notifyFifoElsewhere: role === 'checkers' && !this.o.checkOnly,
    };
    if (options.log) options.log = { ...options.log, sink: undefined, tap: undefined };
    const start: ChildStart = { role, options: JSON.parse(JSON.stringify(options)) as RunOptions, config: part, ...(handover ? { handover } : {}) };
    try {
      const reply = await rpc.request<ChildStartReply>('start', start, START_TIMEOUT_MS);
      if (reply.ok) {
        this.log.info(`${ROLE_TITLE[role]} child process(${proc.pid}) started`);
        return reply;
      }
      this.hooks.startErrors?.(reply.errors);
      if (this.running) void this.stopChild(child);
      return reply;
    } catch (e) {
      const why = `${ROLE_TITLE[role]} child process did not start: ${errorText(e)}`;
      this.log.error(why);
      this.hooks.startErrors?.([why]);
      if (this.running) void this.stopChild(child);
      return { ok: false, errors: [why] };
    }
  }

  /** A child ended: expected while stopping; otherwise logged and started again. */
  private exited(child: Child, code: number | null, sig: NodeJS.Signals | null): void {
    child.rpc.close(`${ROLE_TITLE[child.role]} child process exited`);
    if (this.children.get(child.role) !== child) return;
    this.children.delete(child.role);
    if (this.stopping) return;
    const how = sig ? `killed by ${sig}` : `exited with status ${code}`;
    if (this.o.dontRespawn) {
      this.log.error(`${ROLE_TITLE[child.role]} child process(${child.proc.pid}) ${how}`);
      this.log.error(`${ROLE_TITLE[child.role]} child process(${child.proc.pid}) died: Exiting (--dont-respawn)`);
      this.hooks.fatal?.(`${ROLE_TITLE[child.role]} child process died`);
      return;
    }
    const ranMs = performance.now() - child.startedAt;
    const quick = ranMs < STABLE_MS ? (this.quickDeaths.get(child.role) ?? 0) + 1 : 0;
    this.quickDeaths.set(child.role, quick);
    const delayMs = quick === 0 ? 0 : Math.min(30_000, 250 * 2 ** (quick - 1));
    this.log.error(`${ROLE_TITLE[child.role]} child process(${child.proc.pid}) ${how}`);
    this.log.warn(`${ROLE_TITLE[child.role]} child process(${child.proc.pid}) died: Respawning${delayMs ? ` in ${delayMs / 1000} s` : ''}`);
    const t = setTimeout(() => {
      this.respawnTimers.delete(child.role);
      if (this.stopping || this.children.has(child.role)) return;
      void this.spawn(child.role, this.cfg);
    }, delayMs);
    this.respawnTimers.set(child.role, t);
  }

  /**
   * SIGHUP. Serialised: a reload that arrives during another waits for it. The new file is parsed and
   * validated completely (here, not in the children) before anything changes.
   */
  reload(): Promise<ReloadOutcome> {
    const run = this.busy.then(async () => {
      // A collection due from the start or the last reload waits until this one is done.
      const release = holdGarbageCollection();
      try {
        return await this.doReload();
      } finally {
        release();
      }
    });
    this.busy = run.catch(() => undefined);
    return run;
  }

  private async doReload(): Promise<ReloadOutcome> {
    const t0 = performance.now();
    /** Whether the whole file was parsed (or the load failed): its garbage is worth giving back. */
    let whole = true;
    const done = (r: Omit<ReloadOutcome, 'ms'>): ReloadOutcome => {
      const out = { ...r, ms: performance.now() - t0 };
      if (out.ok) this.reloads.ok++;
      else this.reloads.failed++;
      this.reloads.last = { ...out, at: new Date().toISOString() };
      // Whatever the outcome, the parse left its garbage behind.
      collectGarbageSoon(whole);
      return out;
    };
    if (this.stopping) return done({ ok: false, error: 'stopping' });
    this.log.info(`Reloading: ${this.o.file}`);
    const loaded = load(this.o, this.log, this.memo);
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
    whole = loaded.whole;
    const next = loaded.config;
    const nextNs = Supervisor.namespaceOf(this.o, next);
    if (nextNs !== this.netns)
      this.log.warn(`net_namespace cannot be changed on a reload: still running in ${this.netns ?? 'the namespace it was started in'}`);
    this.acceptedErrors = new Set(loaded.errors);
    this.cfg = next;
    this.memo = loaded.memo;
    const out: Omit<ReloadOutcome, 'ms'> = { ok: true };
    const work: Array<Promise<void>> = [];
    const merge = (r: RoleReloadOutcome | undefined) => {
      if (!r) {
        out.ok = false; // it did not answer (logged)
        return;
      }
      if (!r.ok) out.ok = false;
      if (r.vrrp) out.vrrp = r.vrrp satisfies VrrpReloadReport;
      if (r.ipvsChanges !== undefined) out.ipvsChanges = r.ipvsChanges;
    };
    for (const role of rolesFor(next, this.o)) {
      const part = partFor(role, next);
      const child = this.children.get(role);
      if (!child) {
        // Newly needed (the first virtual server), or being respawned: it starts on the new part.
        if (this.respawnTimers.has(role)) continue;
        work.push(
          this.spawn(role, next).then((r) => {
            if (!r.ok) out.ok = false;
          }),
        );
        continue;
      }
      if (role === 'checkers') {
        const send = this.checkersReload(child, part);
        if (send) work.push(send.then(merge));
        continue;
      }
      const key = withoutLocs(part);
      if (key === this.partKeys.get(role)) continue;
      this.partKeys.set(role, key);
      work.push(this.ask(child, { config: part, gen: ++child.gen }).then(merge));
    }
    if (work.length === 0) {
      this.log.info('reload: configuration unchanged');
      return done({ ok: true, ipvsChanges: 0 });
    }
    await Promise.all(work);
    this.log.info(`Reload finished${out.ok ? '' : ' with errors'}`);
    return done(out);
  }

  /**
   * The checker process's reload: its virtual servers as a difference from what it runs (lvs-delta.ts), or
   * the whole part when that is unknown or the difference does not fit; undefined when nothing but file:line
   * changed (nothing to send, as for the VRRP process).
   */
  private checkersReload(child: Child, part: KeepalivedConfig): Promise<RoleReloadOutcome | undefined> | undefined {
    const sent = child.sent;
    const rest = restKey(part);
    const took = (r: RoleReloadOutcome | undefined, gen: number) => {
      child.sent = r ? { gen, lvs: part.lvs, rest } : undefined;
      return r;
    };
    const whole = () => {
      const gen = ++child.gen;
      return this.ask(child, { config: part, gen }).then((r) => took(r, gen));
    };
    // TSKEEPALIVED_FULL_RELOAD=1: every reload sends the whole part (to compare, or to rule the difference out).
    if (!sent || process.env.TSKEEPALIVED_FULL_RELOAD === '1') return whole();
    const d = vsDelta(sent.lvs, part.lvs);
    if (d.changed === d.moved && rest === sent.rest) return undefined;
    const gen = ++child.gen;
    const config = { ...part, lvs: { ...part.lvs, virtualServers: [] } };
    return this.ask(child, { config, gen, delta: { base: sent.gen, vs: d.vs } }).then((r) => (r?.stale ? whole() : took(r, gen)));
  }

  /** One reload request to a child; undefined (logged) when it did not answer. */
  private ask(child: Child, req: ReloadRequest<KeepalivedConfig>): Promise<RoleReloadOutcome | undefined> {
    return child.rpc.request<RoleReloadOutcome>('reload', req, START_TIMEOUT_MS).then(
      (r) => r,
      (e: Error) => {
        this.log.error(`reload: ${ROLE_TITLE[child.role]} child process: ${e.message}`);
        return undefined;
      },
    );
  }

  /** Graceful stop (SIGTERM/SIGINT): every child stops in parallel and is waited for. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.busy;
    for (const t of this.respawnTimers.values()) clearTimeout(t);
    this.respawnTimers.clear();
    await Promise.all([...this.children.values()].map((c) => this.stopChild(c)));
    await runStartStopScript('shutdown', this.cfg.global, this.log);
  }

  /**
   * `tskeepalived --handover`: every child stops without releasing anything and answers with its state;
   * the checkers first, so VRRP advertises until the last moment. Resolves once every child has exited,
   * with the state to write (undefined when the daemon was already stopping).
   */
  async handover(): Promise<HandoverState | undefined> {
    if (this.stopping) return undefined;
    this.stopping = true;
    await this.busy;
    for (const t of this.respawnTimers.values()) clearTimeout(t);
    this.respawnTimers.clear();
    const state: HandoverState = {
      format: HANDOVER_FORMAT,
      program: programVersion(),
      writtenAt: 0,
      bootId: bootId(),
      pid: process.pid,
      configFile: this.o.file,
    };
    for (const role of ['checkers', 'vrrp'] as const) {
      const c = this.children.get(role);
      if (!c) continue;
      try {
        const part = await c.rpc.request<HandoverPart>('handover', undefined, STOP_TIMEOUT_MS);
        if (part.vrrp) state.vrrp = part.vrrp;
        if (part.checkers) state.checkers = part.checkers;
      } catch (e) {
        this.log.error(`handover: ${ROLE_TITLE[role]} child process(${c.proc.pid}): ${errorText(e)}`);
      }
      if (c.proc.connected) c.proc.disconnect();
      const killed = setTimeout(() => c.proc.kill('SIGKILL'), 5_000);
      await c.exited;
      clearTimeout(killed);
    }
    state.writtenAt = Date.now();
    return state;
  }

  private async stopChild(c: Child): Promise<void> {
    try {
      await c.rpc.request('stop', undefined, STOP_TIMEOUT_MS);
    } catch (e) {
      if (c.proc.exitCode === null && c.proc.signalCode === null) this.log.error(`${ROLE_TITLE[c.role]} child process(${c.proc.pid}): ${errorText(e)}`);
    }
    if (c.proc.connected) c.proc.disconnect();
    const killed = setTimeout(() => c.proc.kill('SIGKILL'), 5_000);
    await c.exited;
    clearTimeout(killed);
  }

  /** The daemon's snapshot: each child's part, asked for in parallel, merged. */
  async snapshot(): Promise<DaemonSnapshot> {
    const parts = await Promise.all([...this.children.values()].map((c) => c.rpc.request<ChildSnapshot>('snapshot', undefined, 30_000).catch(() => undefined)));
    const processes: ProcessInfo[] = [processInfo('supervisor')];
    const snap: DaemonSnapshot = {
      pid: process.pid,
      configFile: this.o.file,
      startedAt: this.startedAt.toISOString(),
      reloads: { ...this.reloads },
      vrrp: [],
      ipvs: false,
      processes,
    };
    for (const p of parts) {
      if (!p) continue;
      processes.push(p.process);
      snap.vrrp.push(...p.vrrp);
      snap.ipvs ||= p.ipvs;
      if (p.checkers) snap.checkers = p.checkers;
    }
    return snap;
  }

  /** The kernel's IPVS counters for the services the checker process programmed (for the metrics). */
  async ipvsCounters(): Promise<DumpedService[]> {
    const c = this.children.get('checkers');
    return c ? c.rpc.request<DumpedService[]>('counters', undefined, 30_000) : [];
  }
}

export interface Loaded {
  config: KeepalivedConfig;
  /** Error messages without file:line (a reload is refused only for new ones). */
  errors: string[];
  /** Its load, for the first reload (reload.ts). */
  memo?: LoadMemo;
}

/** A part without its virtual servers, as a key without file:line (lvs-delta.ts compares those). */
function restKey(part: KeepalivedConfig): string {
  return withoutLocs({ ...part, lvs: { ...part.lvs, virtualServers: [] } });
}

/** Why the daemon cannot work in network namespace `name` (it must exist: `ip netns add NAME`). */
export function namespaceProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name === '.' || name === '..') return `net_namespace '${name}' is not a valid namespace name`;
  if (!fs.existsSync(`/run/netns/${name}`)) return `network namespace ${name} does not exist (create it with: ip netns add ${name})`;
  return undefined;
}

/** The options the daemon loads its file with. */
function loadOptions(o: RunOptions): LoadOptions {
  return {
    ...(o.configId !== undefined ? { configId: o.configId } : {}),
    ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
    allConfig: o.allConfig === true,
  };
}

/**
 * The configuration and its error messages (without file:line), or why it cannot be run. Every
 * diagnostic is logged with its file:line. From `memo` (the running configuration's load), only the
 * virtual_server blocks that changed are parsed again when reload.ts can tell the result is the same;
 * TSKEEPALIVED_FULL_RELOAD=1 in the environment makes every load parse the whole file.
 */
function load(o: RunOptions, log: Logger, memo?: LoadMemo): { config: KeepalivedConfig; errors: string[]; memo: LoadMemo; whole: boolean } | string {
  const previous = process.env.TSKEEPALIVED_FULL_RELOAD === '1' ? undefined : memo;
  const { result: res, memo: next, reparsed, fullBecause } = reloadConfig(previous, o.file, loadOptions(o));
  if (previous) log.debug(reparsed === 'all' ? `reload: whole file parsed (${fullBecause})` : `reload: ${reparsed} virtual_server block(s) parsed again`);
  const errors: string[] = [];
  for (const d of res.diagnostics.list) {
    if (d.severity === 'info' && !d.message.includes(NOT_ACTED_ON)) continue;
    if (d.severity === 'error') {
      log.error(formatDiagnostic(d));
      errors.push(d.message);
    } else log.warn(formatDiagnostic(d));
  }
  if (res.exitCode === 2 || res.exitCode === 4) return `configuration ${o.file} cannot be run`;
  return { config: res.config, errors, memo: next, whole: reparsed === 'all' };
}
