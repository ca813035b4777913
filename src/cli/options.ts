/**
 * CLI layer, pure: keepalived's command line, parsed into a typed object.
 *
 * Every keepalived 2.2.7 flag is accepted with the same short and long spelling (so existing systemd
 * units and scripts keep working); `--format` is tskeepalived's own, for `--dump-conf`.
 * Supports `-fFILE`, `-f FILE`, `--use-file=FILE`, `--use-file FILE`, bundled short flags (`-nlD`)
 * and optional values (`-t`, `--config-test=LOG`).
 */

type ArgKind = 'none' | 'required' | 'optional';

export interface OptionSpec {
  short?: string;
  long: string;
  arg: ArgKind;
  key: keyof CliOptions;
  help: string;
  /** Parsed but acted on by a later part of the project: shown as such in --help. */
  later?: boolean;
}

export interface CliOptions {
  useFile: string;
  vrrp: boolean;
  check: boolean;
  noBfd: boolean;
  all: boolean;
  logConsole: boolean;
  logDetail: boolean;
  logFacility?: string;
  noSyslog: boolean;
  umask?: string;
  releaseVips: boolean;
  dontReleaseVrrp: boolean;
  dontReleaseIpvs: boolean;
  dontRespawn: boolean;
  dontFork: boolean;
  dumpConf: boolean;
  pid?: string;
  vrrpPid?: string;
  checkersPid?: string;
  bfdPid?: string;
  genhash: boolean;
  addressMonitoring: boolean;
  snmp: boolean;
  snmpAgentSocket?: string;
  namespace?: string;
  coreDump: boolean;
  coreDumpPattern?: string;
  allConfig: boolean;
  configId?: string;
  signum?: string;
  /** true for plain -t, a string for -t=LOGFILE */
  configTest: boolean | string;
  version: boolean;
  help: boolean;
  format: 'json' | 'yaml';
  logFormat: 'human' | 'json';
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  statusSocket?: string;
  metricsListen?: string;
  dumpDir?: string;
  /** `status --json` */
  json: boolean;
  /** --handover: ask the running daemon to exit without releasing anything, leaving its state to the next start. */
  handover: boolean;
  handoverFile?: string;
}

export const OPTIONS: OptionSpec[] = [
  { short: 'f', long: 'use-file', arg: 'required', key: 'useFile', help: "use the specified configuration file (default '/etc/keepalived/keepalived.conf')" },
  { short: 'P', long: 'vrrp', arg: 'none', key: 'vrrp', help: 'only run the VRRP subsystem' },
  { short: 'C', long: 'check', arg: 'none', key: 'check', help: 'only run the IPVS and health-checker subsystem' },
  { short: 'B', long: 'no_bfd', arg: 'none', key: 'noBfd', help: "don't run the BFD subsystem", later: true },
  { long: 'all', arg: 'none', key: 'all', help: 'run every subsystem, even one with no configuration', later: true },
  { short: 'l', long: 'log-console', arg: 'none', key: 'logConsole', help: 'log messages to the console' },
  { short: 'D', long: 'log-detail', arg: 'none', key: 'logDetail', help: 'detailed log messages' },
  {
    short: 'S',
    long: 'log-facility',
    arg: 'required',
    key: 'logFacility',
    help: 'syslog facility: 0-7 (local0-7), user, daemon (default) or another facility name',
  },
  { short: 'G', long: 'no-syslog', arg: 'none', key: 'noSyslog', help: "don't log via syslog (log to the console)" },
  { short: 'u', long: 'umask', arg: 'required', key: 'umask', help: 'umask for file creation (octal, e.g. 022)' },
  { short: 'X', long: 'release-vips', arg: 'none', key: 'releaseVips', help: 'drop VIPs on a transition caused by a signal', later: true },
  { short: 'V', long: 'dont-release-vrrp', arg: 'none', key: 'dontReleaseVrrp', help: "don't remove VRRP VIPs and routes on stop" },
  { short: 'I', long: 'dont-release-ipvs', arg: 'none', key: 'dontReleaseIpvs', help: "don't remove the IPVS table on stop" },
  { short: 'R', long: 'dont-respawn', arg: 'none', key: 'dontRespawn', help: "don't respawn child processes: if one dies, the daemon stops" },
  { short: 'n', long: 'dont-fork', arg: 'none', key: 'dontFork', help: 'stay in the foreground (without it: start in the background, return once started)' },
  { short: 'd', long: 'dump-conf', arg: 'none', key: 'dumpConf', help: 'print the resolved configuration (defaults filled in)' },
  { short: 'p', long: 'pid', arg: 'required', key: 'pid', help: 'pid file of the main process' },
  { short: 'r', long: 'vrrp_pid', arg: 'required', key: 'vrrpPid', help: "another pid file (keepalived's VRRP child); it holds the one process's pid" },
  {
    short: 'T',
    long: 'genhash',
    arg: 'none',
    key: 'genhash',
    help: "genhash: print the MD5 digest of a URL for HTTP_GET/SSL_GET (the rest of the line is genhash's: -s IP -p PORT -u URL [-S] [-V HOST] [-P VER] [-t S] [-v])",
  },
  {
    short: 'c',
    long: 'checkers_pid',
    arg: 'required',
    key: 'checkersPid',
    help: "another pid file (keepalived's checker child); it holds the one process's pid",
  },
  { short: 'a', long: 'address-monitoring', arg: 'none', key: 'addressMonitoring', help: 'report address changes seen via netlink', later: true },
  { short: 'b', long: 'bfd_pid', arg: 'required', key: 'bfdPid', help: 'pid file of the BFD process', later: true },
  { short: 'x', long: 'snmp', arg: 'none', key: 'snmp', help: 'enable SNMP (not planned)', later: true },
  { short: 'A', long: 'snmp-agent-socket', arg: 'required', key: 'snmpAgentSocket', help: 'SNMP master agent socket (not planned)', later: true },
  {
    short: 's',
    long: 'namespace',
    arg: 'required',
    key: 'namespace',
    help: 'run in network namespace NAME (overrides net_namespace; it must exist: ip netns add NAME)',
  },
  { short: 'm', long: 'core-dump', arg: 'none', key: 'coreDump', help: 'produce a core dump on abnormal exit', later: true },
  { short: 'M', long: 'core-dump-pattern', arg: 'optional', key: 'coreDumpPattern', help: 'also set kernel.core_pattern', later: true },
  { short: 'e', long: 'all-config', arg: 'none', key: 'allConfig', help: 'error if any included configuration file is missing' },
  { short: 'i', long: 'config-id', arg: 'required', key: 'configId', help: "config-id for '@id' lines (default: host name up to the first dot)" },
  { long: 'signum', arg: 'required', key: 'signum', help: 'print the signal number for STOP, RELOAD, DATA, STATS or JSON' },
  {
    short: 't',
    long: 'config-test',
    arg: 'optional',
    key: 'configTest',
    help: 'check the configuration and exit (0 ok, 4 cannot run, 5 errors, 6 script security); messages to stderr or LOG_FILE',
  },
  { long: 'format', arg: 'required', key: 'format', help: 'output format of --dump-conf: json (default) or yaml' },
  { long: 'log-format', arg: 'required', key: 'logFormat', help: "human (default: one line per event, keepalived's wording) or json" },
  { long: 'log-level', arg: 'required', key: 'logLevel', help: 'debug, info (default), warn or error' },
  {
    long: 'status-socket',
    arg: 'required',
    key: 'statusSocket',
    help: "unix socket `tskeepalived status` reads (default /run/tskeepalived.sock; 'none' for none)",
  },
  { long: 'metrics-listen', arg: 'required', key: 'metricsListen', help: 'serve Prometheus metrics on ADDR:PORT (off by default)' },
  { long: 'dump-dir', arg: 'required', key: 'dumpDir', help: 'directory of the SIGUSR1/SIGUSR2 dumps (default /tmp)' },
  { long: 'json', arg: 'none', key: 'json', help: 'with `status`: print JSON' },
  {
    long: 'handover',
    arg: 'none',
    key: 'handover',
    help: 'restart without failover: ask the running daemon (found by -s, --status-socket, -p) to exit without releasing anything (no priority 0, VIPs and IPVS kept) and leave its state for the next start; returns once it has exited (0), 3 if none is running, 1 otherwise',
  },
  {
    long: 'handover-file',
    arg: 'required',
    key: 'handoverFile',
    help: "the daemon's handover state file (default /run/tskeepalived/handover.json, or /run/tskeepalived/NAME/ with -s NAME)",
  },
  { short: 'v', long: 'version', arg: 'none', key: 'version', help: 'print the version and exit' },
  { short: 'h', long: 'help', arg: 'none', key: 'help', help: 'print this help and exit' },
];

export { UsageError } from '../util/errors.js';
import { UsageError } from '../util/errors.js';

export function defaults(): CliOptions {
  return {
    useFile: '/etc/keepalived/keepalived.conf',
    vrrp: false,
    check: false,
    noBfd: false,
    all: false,
    logConsole: false,
    logDetail: false,
    noSyslog: false,
    releaseVips: false,
    dontReleaseVrrp: false,
    dontReleaseIpvs: false,
    dontRespawn: false,
    dontFork: false,
    dumpConf: false,
    genhash: false,
    addressMonitoring: false,
    snmp: false,
    coreDump: false,
    allConfig: false,
    configTest: false,
    version: false,
    help: false,
    format: 'json',
    logFormat: 'human',
    json: false,
    handover: false,
  };
}

function assign(o: CliOptions, spec: OptionSpec, val: string | true): void {
  const rec = o as unknown as Record<string, unknown>;
  if (spec.key === 'format') {
    if (val !== 'json' && val !== 'yaml') throw new UsageError(`--format must be json or yaml, not '${String(val)}'`);
  }
  if (spec.key === 'logFormat' && val !== 'human' && val !== 'json') throw new UsageError(`--log-format must be human or json, not '${String(val)}'`);
  if (spec.key === 'logLevel' && !['debug', 'info', 'warn', 'error'].includes(String(val)))
    throw new UsageError(`--log-level must be debug, info, warn or error, not '${String(val)}'`);
  if (spec.key === 'umask' && !/^0?[0-7]{1,3}$/.test(String(val))) throw new UsageError(`--umask must be an octal mask such as 022, not '${String(val)}'`);
  rec[spec.key] = val;
}

export function parseArgs(argv: string[]): CliOptions {
  const o = defaults();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const spec = OPTIONS.find((s) => s.long === name);
      if (!spec) throw new UsageError(`unknown option '--${name}'`);
      if (spec.arg === 'none') {
        if (eq >= 0) throw new UsageError(`option '--${name}' takes no value`);
        assign(o, spec, true);
      } else if (eq >= 0) assign(o, spec, a.slice(eq + 1));
      else if (spec.arg === 'required') {
        const v = argv[++i];
        if (v === undefined) throw new UsageError(`option '--${name}' needs a value`);
        assign(o, spec, v);
      } else assign(o, spec, true);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        const spec = OPTIONS.find((s) => s.short === c);
        if (!spec) throw new UsageError(`unknown option '-${c}'`);
        if (spec.arg === 'none') {
          assign(o, spec, true);
          continue;
        }
        const restOf = a.slice(j + 1);
        if (restOf !== '') assign(o, spec, restOf.startsWith('=') ? restOf.slice(1) : restOf);
        else if (spec.arg === 'required') {
          const v = argv[++i];
          if (v === undefined) throw new UsageError(`option '-${c}' needs a value`);
          assign(o, spec, v);
        } else assign(o, spec, true);
        break;
      }
      continue;
    }
    throw new UsageError(`unexpected argument '${a}'`);
  }
  return o;
}

export function helpText(): string {
  const lines = ['Usage: tskeepalived [OPTION...]', ''];
  for (const s of OPTIONS) {
    const short = s.short ? `-${s.short}, ` : '    ';
    const arg = s.arg === 'required' ? '=VALUE' : s.arg === 'optional' ? '[=VALUE]' : '';
    const left = `  ${short}--${s.long}${arg}`;
    lines.push(`${left.padEnd(34)} ${s.help}${s.later ? ' [accepted; not active yet]' : ''}`);
  }
  lines.push(
    '',
    'Options marked [accepted; not active yet] are parsed for compatibility with keepalived and act once',
    'the daemon parts of tskeepalived land (see README.md).',
  );
  return lines.join('\n');
}

/**
 * The signal to send tskeepalived for each function. keepalived uses real-time signals for STATS_CLEAR
 * and JSON, which Node cannot catch (and which would kill the process): JSON is SIGUSR1 here (it writes
 * the data and the JSON dumps), STATS_CLEAR has none (use `tskeepalived status` or the metrics).
 */
export const SIGNUMS: Record<string, number> = { STOP: 15, RELOAD: 1, DATA: 10, STATS: 12, JSON: 10 };
