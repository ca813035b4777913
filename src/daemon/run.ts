/**
 * Daemon layer, entry: `tskeepalived -n` (the background mode re-executes into this, see background.ts).
 * Claims the pid files, starts the Supervisor (supervisor.ts: the VRRP and checker processes), the status
 * socket and the metrics endpoint, and turns
 * signals into actions: SIGHUP reload, SIGTERM/SIGINT graceful stop, SIGUSR1 data + JSON dumps, SIGUSR2
 * stats dump; `tskeepalived --handover` arrives on the status socket (handover.ts). Handlers are installed before anything starts, so a signal during start-up is acted on
 * once the start has finished instead of killing a half-started daemon.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isBackgroundChild, reportStart } from './background.js';
import type { RunOptions } from './daemon.js';
import { Supervisor } from './supervisor.js';
import { writeDump } from './dumps.js';
import { createLogger, logsToConsole, type Logger } from './log.js';
import type { MetricsServer } from './metrics.js';
import { claimPidFiles, DEFAULT_PID_FILE, NAMESPACED_RUN_DIR, PidFileError, releasePidFiles } from './pidfile.js';
import { DEFAULT_STATUS_SOCKET, StatusServer } from './status-socket.js';
import { handoverFilePath, takeHandoverFile, writeHandoverFile } from './handover.js';
import { errorText, reportText } from '../util/errors.js';

export type { RunOptions } from './daemon.js';

async function dumps(d: Supervisor, log: Logger, kinds: Array<'data' | 'json' | 'stats'>, dir: string | undefined): Promise<void> {
  const s = await d.snapshot();
  for (const k of kinds) {
    try {
      log.info(`Writing ${k} dump to ${writeDump(k, s, dir)}`);
    } catch (e) {
      log.error(`${k} dump not written: ${errorText(e)}`);
    }
  }
}

/**
 * keepalived's file names for a daemon in network namespace NAME: the pid files it writes by default, and
 * the status socket, go to /run/tskeepalived/NAME/ (tskeepalived.pid, vrrp.pid, checkers.pid,
 * tskeepalived.sock), so a namespaced daemon and one in the root namespace never share them. Files named on
 * the command line stay where they are.
 */
export function namespacedFiles(o: RunOptions, netns: string): Pick<RunOptions, 'pidFile' | 'vrrpPidFile' | 'checkersPidFile' | 'statusSocket'> {
  const dir = `${NAMESPACED_RUN_DIR}/${netns}`;
  const out: Pick<RunOptions, 'pidFile' | 'vrrpPidFile' | 'checkersPidFile' | 'statusSocket'> = {};
  // The background start names the default pid file explicitly; any other -p is the operator's.
  if (o.pidFile === DEFAULT_PID_FILE) out.pidFile = `${dir}/tskeepalived.pid`;
  if (o.pidFile === DEFAULT_PID_FILE || o.pidFile === undefined) {
    out.vrrpPidFile = o.vrrpPidFile ?? `${dir}/vrrp.pid`;
    out.checkersPidFile = o.checkersPidFile ?? `${dir}/checkers.pid`;
  }
  if (o.statusSocket === undefined) out.statusSocket = `${dir}/tskeepalived.sock`;
  return out;
}

function removeIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // not empty (someone else's files) or already gone
  }
}

export async function runDaemon(o: RunOptions): Promise<number> {
  // Errors logged before the start completes: if it fails, they also go to the terminal (or to the
  // command waiting for a background start), not only to syslog. BOUNDED: kept only during start.
  let startErrors: string[] | undefined = [];
  const logOpts = o.log ?? { detail: o.detail, console: true };
  // keepalived appends _NAME to its ident when it runs in a network namespace (known once the file is read).
  let ident = 'tskeepalived';
  const log = createLogger({ ...logOpts, ident: () => ident, tap: (level, text) => level >= 40 && startErrors?.push(text) });
  const failStart = (status: number): number => {
    const errors = startErrors ?? [];
    startErrors = undefined;
    if (!logsToConsole(logOpts) && !isBackgroundChild()) for (const e of errors) process.stderr.write(`tskeepalived: ${e.replace(/^(Error|Warning): /, '')}\n`);
    reportStart(status, errors);
    return status;
  };

  // Signals that arrive before the daemon is up are remembered, not fatal.
  let d: Supervisor | undefined;
  let stopAsked: string | undefined;
  let reloadAsked = false;
  let onStop: (sig: string) => void = (sig) => (stopAsked = sig);
  let onHandover: () => Promise<{ pid: number; file: string }> = () => Promise.reject(new Error('the daemon is still starting'));
  process.on('SIGTERM', () => onStop('SIGTERM'));
  process.on('SIGINT', () => onStop('SIGINT'));
  process.on('SIGHUP', () => {
    if (d) void d.reload();
    else reloadAsked = true;
  });
  process.on('SIGUSR1', () => d && void dumps(d, log, ['data', 'json'], o.dumpDir));
  process.on('SIGUSR2', () => d && void dumps(d, log, ['stats'], o.dumpDir));

  // The VRRP process boots while the file is read.
  Supervisor.prefork(o);
  const loaded = Supervisor.load(o, log);
  if (typeof loaded === 'number') {
    Supervisor.dropPrefork();
    // The pid files named on the command line may be stale ones of an earlier run: left as they are.
    return failStart(loaded);
  }
  const netns = Supervisor.namespaceOf(o, loaded.config);
  if (netns !== undefined) {
    ident = `tskeepalived_${netns}`;
    o = { ...o, namespace: netns, ...namespacedFiles(o, netns) };
  }
  const pidFiles = [o.pidFile, o.vrrpPidFile, o.checkersPidFile].filter((f): f is string => f !== undefined);
  try {
    const { stale } = claimPidFiles(pidFiles);
    for (const f of stale) log.info(`replacing the stale pid file ${f}`);
  } catch (e) {
    Supervisor.dropPrefork();
    // keepalived too stops when it cannot write its pid file.
    log.error(e instanceof PidFileError ? e.message : `pid file: ${errorText(e)} - not starting`);
    return failStart(e instanceof PidFileError ? 1 : 4);
  }
  // A state file left by `tskeepalived --handover`: read once (and removed), before anything starts.
  const handoverFile = handoverFilePath(o);
  const taken = takeHandoverFile(handoverFile);
  if (taken && 'ignored' in taken) log.warn(`handover state ${handoverFile} ignored: ${taken.ignored} - starting as usual`);
  const handover = taken && 'state' in taken ? taken.state : undefined;
  if (handover)
    log.info(
      `starting from the handover state ${handoverFile} (left by pid ${handover.pid}, tskeepalived ${handover.program}, ${Date.now() - handover.writtenAt} ms ago)`,
    );
  let started: Supervisor | number;
  try {
    started = await Supervisor.start(o, log, loaded, { startErrors: (lines) => startErrors?.push(...lines), fatal: (why) => onStop(why) }, handover);
  } catch (e) {
    log.error(`start failed: ${reportText(e)}`);
    started = 1;
  }
  Supervisor.dropPrefork();
  if (typeof started === 'number') {
    releasePidFiles(pidFiles);
    return failStart(started);
  }
  d = started;
  const daemon = started;

  let status: StatusServer | undefined;
  const socketPath = o.statusSocket ?? DEFAULT_STATUS_SOCKET;
  if (socketPath !== 'none') {
    try {
      status = await StatusServer.listen(socketPath, () => daemon.snapshot(), { handover: () => onHandover(), readiness: () => daemon.readiness() });
    } catch (e) {
      log.warn(`status socket: ${errorText(e)} - running without one`);
    }
  }
  let metrics: MetricsServer | undefined;
  if (o.metricsListen) {
    try {
      // Loaded only when asked for: prom-client is a large part of the supervisor's start.
      const { MetricsServer } = await import('./metrics.js');
      metrics = await MetricsServer.listen(o.metricsListen, daemon);
      log.info(`Prometheus metrics on http://${o.metricsListen}/metrics`);
    } catch (e) {
      log.error(`metrics endpoint ${o.metricsListen}: ${errorText(e)} - running without it`);
    }
  }
  startErrors = undefined;
  reportStart(0);

  // A daemon runs until it is told to stop, even with nothing else to wait on (an IPVS-only config).
  const alive = setInterval(() => undefined, 1 << 30);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const finish = async () => {
      await status?.close().catch(() => undefined);
      await metrics?.close().catch(() => undefined);
      releasePidFiles(pidFiles, daemon.pids());
      if (o.namespace !== undefined) removeIfEmpty(`${NAMESPACED_RUN_DIR}/${o.namespace}`);
      log.info('Stopped tskeepalived');
      clearInterval(alive);
      resolve(0);
    };
    onStop = (sig: string) => {
      if (stopping) return;
      stopping = true;
      void (async () => {
        log.info(sig.startsWith('SIG') ? `${sig} received: stopping` : `${sig}: stopping`);
        await daemon.stop();
        await finish();
      })();
    };
    // `tskeepalived --handover` on the status socket: the answer goes out once the state file is written;
    // the daemon then exits (the command waits for that).
    onHandover = async () => {
      if (stopping) throw new Error('the daemon is already stopping');
      // Nothing is stopped unless the next start can run the file and the state can be written.
      if (typeof Supervisor.load(o, log) === 'number') throw new Error(`the configuration ${o.file} cannot be run (see tskeepalived -t): nothing was stopped`);
      try {
        fs.mkdirSync(path.dirname(handoverFile), { recursive: true });
        fs.accessSync(path.dirname(handoverFile), fs.constants.W_OK);
      } catch (e) {
        throw new Error(`cannot write the handover state in ${path.dirname(handoverFile)}: ${errorText(e)}`);
      }
      stopping = true;
      log.info(`handover requested: stopping without releasing anything, state to ${handoverFile}`);
      const state = await daemon.handover();
      if (!state) throw new Error('the daemon is already stopping');
      try {
        writeHandoverFile(handoverFile, state);
      } catch (e) {
        const why = `cannot write the handover state ${handoverFile}: ${errorText(e)}`;
        log.error(why);
        setImmediate(() => void finish());
        throw new Error(why);
      }
      log.info(
        `handover state written to ${handoverFile}: ${state.vrrp?.instances.length ?? 0} VRRP instance(s), ${state.checkers?.realServers.length ?? 0} real server(s)`,
      );
      setImmediate(() => void finish());
      return { pid: process.pid, file: handoverFile };
    };
    if (stopAsked) onStop(stopAsked);
    else if (reloadAsked) void daemon.reload();
  });
}
