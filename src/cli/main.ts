/**
 * CLI layer: `tskeepalived`. Runs the daemon (in the background unless -n), checks (-t) or dumps (-d) a
 * configuration, or, as `tskeepalived status`, shows a running daemon's state; `--handover` asks a running
 * daemon to exit without failover, leaving its state to the next start.
 */
import { createRequire } from 'node:module';
import type { DaemonSnapshot } from '../daemon/daemon.js';
import { helpText, parseArgs, SIGNUMS, UsageError, type CliOptions } from './options.js';
import { errorText, NotRunningError, reportText } from '../util/errors.js';

/**
 * node:fs without its ES module facade: importing it so makes Node read every export, which loads fs's
 * stream classes; the start-up path has no use for them (process.getBuiltinModule returns the module itself).
 */
const fs = process.getBuiltinModule('node:fs');

/** Where the background mode writes its pid when -p is not given. */

async function genhashMain(argv: string[]): Promise<number> {
  const { genhash, genhashUsage, parseGenhashArgs } = await import('../check/genhash.js');
  let o: ReturnType<typeof parseGenhashArgs>;
  try {
    o = parseGenhashArgs(argv);
  } catch (e) {
    process.stderr.write(`tskeepalived --genhash: ${errorText(e)}\n`);
    return 2;
  }
  if (o === 'help') {
    process.stdout.write(genhashUsage() + '\n');
    return 0;
  }
  const r = await genhash(o);
  process.stdout.write(r.out);
  process.stderr.write(r.err);
  return r.status;
}

/** `tskeepalived status [--json] [--status-socket PATH]` */
async function status(o: CliOptions): Promise<number> {
  const { DEFAULT_STATUS_SOCKET, readStatus } = await import('../daemon/status-socket.js');
  const { renderStatus } = await import('./status.js');
  const { NAMESPACED_RUN_DIR } = await import('../daemon/pidfile.js');
  try {
    // `status -s NAME`: the socket of the daemon working in network namespace NAME.
    const file = o.statusSocket ?? (o.namespace !== undefined ? `${NAMESPACED_RUN_DIR}/${o.namespace}/tskeepalived.sock` : DEFAULT_STATUS_SOCKET);
    const s = (await readStatus(file)) as DaemonSnapshot;
    process.stdout.write(o.json ? JSON.stringify(s, null, 2) + '\n' : renderStatus(s));
    return 0;
  } catch (e) {
    process.stderr.write(`tskeepalived status: ${reportText(e)}\n`);
    // LSB: 3 is "not running"; 4 "status unknown" (e.g. no permission to ask).
    return e instanceof NotRunningError ? 3 : 4;
  }
}

/**
 * `tskeepalived --handover`: asks the running daemon, on its status socket, to exit without releasing
 * anything and leave its state file (src/daemon/handover.ts); returns once it has exited. 0 done, 3 no
 * daemon running, 1 anything else (each with the reason).
 */
async function handover(o: CliOptions): Promise<number> {
  const { DEFAULT_STATUS_SOCKET, request } = await import('../daemon/status-socket.js');
  const { DEFAULT_PID_FILE, livePid, NAMESPACED_RUN_DIR } = await import('../daemon/pidfile.js');
  const say = (m: string) => process.stderr.write(`tskeepalived --handover: ${m}\n`);
  const dir = o.namespace !== undefined ? `${NAMESPACED_RUN_DIR}/${o.namespace}` : undefined;
  const file = o.statusSocket ?? (dir ? `${dir}/tskeepalived.sock` : DEFAULT_STATUS_SOCKET);
  const pidFile = o.pid ?? (dir ? `${dir}/tskeepalived.pid` : DEFAULT_PID_FILE);
  if (file === 'none') {
    say("--status-socket none: the handover is asked for on the daemon's status socket; name the one it listens on");
    return 2;
  }
  const pid = livePid(pidFile);
  if (!fs.existsSync(file)) {
    if (pid === undefined) {
      say(
        `no tskeepalived is running (no status socket ${file}, no live process in ${pidFile})${o.namespace === undefined ? '; for a daemon in a network namespace give -s NAME' : ''}`,
      );
      return 3;
    }
    say(`pid ${pid} (${pidFile}) has no status socket at ${file}: give the --status-socket it was started with`);
    return 1;
  }
  const t0 = Date.now();
  let answer: { handover?: { pid: number; file: string }; error?: string };
  try {
    answer = (await request(file, 'handover', HANDOVER_TIMEOUT_MS)) as typeof answer;
  } catch (e) {
    say(reportText(e));
    return e instanceof NotRunningError && pid === undefined ? e.exitStatus : 1;
  }
  if (answer.error !== undefined) {
    say(`the daemon refused: ${answer.error}`);
    return 1;
  }
  if (!answer.handover) {
    say(`the daemon on ${file} answered with its status: it is a version without --handover (a restart of it fails over)`);
    return 1;
  }
  const h = answer.handover;
  // The answer comes once the state is written; the command returns once the daemon has gone.
  while (isAlive(h.pid)) {
    if (Date.now() - t0 > HANDOVER_TIMEOUT_MS) {
      say(`pid ${h.pid} wrote ${h.file} but had not exited after ${HANDOVER_TIMEOUT_MS / 1000} s`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  if (!fs.existsSync(h.file)) {
    say(`pid ${h.pid} exited but its state file ${h.file} is gone (a daemon already started and used it?)`);
    return 1;
  }
  process.stdout.write(`tskeepalived pid ${h.pid} handed over in ${Date.now() - t0} ms: state in ${h.file}; start tskeepalived now\n`);
  return 0;
}

/** The whole handover (children stop one after the other) is bounded by this. */
const HANDOVER_TIMEOUT_MS = 90_000;

/** The process runs (an exited one its parent has not reaped yet, a zombie, does not). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

const require = createRequire(import.meta.url);

function version(): string {
  const pkg = require('../../package.json') as { version: string };
  return `tskeepalived v${pkg.version} (keepalived 2.2.7 configuration compatible)`;
}

/** Parses the command line once and runs what it asks for; resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  let o: CliOptions;
  // keepalived -T / --genhash: the rest of the command line is genhash's, whose flags differ.
  const gh = argv.findIndex((a) => a === '-T' || a === '--genhash');
  if (gh >= 0) return genhashMain(argv.slice(gh + 1));
  const statusCmd = argv[0] === 'status';
  try {
    o = parseArgs(statusCmd ? argv.slice(1) : argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`tskeepalived: ${reportText(e)}\nTry 'tskeepalived --help'.\n`);
      return e.exitStatus;
    }
    throw e;
  }
  if (o.help) {
    process.stdout.write(helpText() + '\n');
    return 0;
  }
  if (o.version) {
    process.stdout.write(version() + '\n');
    return 0;
  }
  if (statusCmd) return status(o);
  if (o.handover) return handover(o);
  if (o.signum !== undefined) {
    const n = SIGNUMS[o.signum.toUpperCase()];
    if (n === undefined) {
      const why = o.signum.toUpperCase() === 'STATS_CLEAR' ? 'has no signal in tskeepalived (Node cannot catch real-time signals)' : 'is unknown';
      process.stderr.write(`tskeepalived: signal function '${o.signum}' ${why}\n`);
      return 2;
    }
    process.stdout.write(`${n}\n`);
    return 0;
  }

  if (o.configTest === false && !o.dumpConf) {
    if (o.logFacility !== undefined) {
      const { facilityName } = await import('../daemon/log.js');
      try {
        facilityName(o.logFacility);
      } catch (e) {
        process.stderr.write(`tskeepalived: ${errorText(e)}\n`);
        return 2;
      }
    }
    if (o.umask !== undefined) process.umask(parseInt(o.umask, 8));
    if (!o.dontFork) {
      // Background: a copy of this command with -n, in its own session; we return once it has started.
      const { runInBackground } = await import('../daemon/background.js');
      const { DEFAULT_PID_FILE } = await import('../daemon/pidfile.js');
      return runInBackground(o.pid === undefined ? [...argv, '-p', DEFAULT_PID_FILE] : argv);
    }
    // The daemon (loaded only when needed: it pulls in sockets and netlink).
    const { runDaemon } = await import('../daemon/run.js');
    const opts: import('../daemon/run.js').RunOptions = {
      file: o.useFile,
      detail: o.logDetail,
      vrrpOnly: o.vrrp,
      checkOnly: o.check,
      allConfig: o.allConfig,
      dontReleaseIpvs: o.dontReleaseIpvs,
      dontReleaseVrrp: o.dontReleaseVrrp,
      dontRespawn: o.dontRespawn,
      log: {
        detail: o.logDetail,
        format: o.logFormat,
        console: o.logConsole || o.noSyslog,
        ...(o.logLevel !== undefined ? { level: o.logLevel } : {}),
        ...(o.logFacility !== undefined ? { facility: o.logFacility } : {}),
      },
    };
    if (o.configId !== undefined) opts.configId = o.configId;
    if (o.namespace !== undefined) opts.namespace = o.namespace;
    if (o.pid !== undefined) opts.pidFile = o.pid;
    if (o.vrrpPid !== undefined) opts.vrrpPidFile = o.vrrpPid;
    if (o.checkersPid !== undefined) opts.checkersPidFile = o.checkersPid;
    if (o.statusSocket !== undefined) opts.statusSocket = o.statusSocket;
    if (o.metricsListen !== undefined) opts.metricsListen = o.metricsListen;
    if (o.dumpDir !== undefined) opts.dumpDir = o.dumpDir;
    if (o.handoverFile !== undefined) opts.handoverFile = o.handoverFile;
    return runDaemon(opts);
  }

  const loadOpts = {
    ...(o.configId !== undefined ? { configId: o.configId } : {}),
    ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
    allConfig: o.allConfig,
  };
  // The configuration layer is loaded only for the commands that read a file (--version and status start faster).
  const { formatDiagnostic, loadConfig } = await import('../config/index.js');
  const res = loadConfig(o.useFile, loadOpts);

  if (o.configTest !== false) {
    const text = res.diagnostics.list.map(formatDiagnostic).join('\n');
    if (typeof o.configTest === 'string') {
      fs.writeFileSync(o.configTest, text ? text + '\n' : '');
    } else if (text) {
      process.stderr.write(text + '\n');
    }
    return res.exitCode;
  }

  for (const d of res.diagnostics.list) {
    if (d.severity !== 'info') process.stderr.write(formatDiagnostic(d) + '\n');
  }

  // --dump-conf
  if (o.format === 'yaml') process.stdout.write((await import('yaml')).stringify(res.config, { aliasDuplicateObjects: false }));
  else process.stdout.write(JSON.stringify(res.config, null, 2) + '\n');
  return res.exitCode === 2 || res.exitCode === 4 ? res.exitCode : 0;
}
