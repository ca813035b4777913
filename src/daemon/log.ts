/**
 * Daemon layer: the logger. pino underneath; what reaches the operator is chosen here:
 *
 * - format `human` (default): one line per event, the message in keepalived's words
 *   ("(VI_1) Entering MASTER STATE"), so log alerts written for keepalived keep matching;
 *   `json`: pino's structured lines (time, level, pid, msg).
 * - destination: the console (stderr) with `-l`; otherwise syslog, through util-linux `logger`
 *   (Node has no client for the /dev/log datagram socket; `logger --prio-prefix` keeps each line's
 *   severity), with `-S` choosing the facility. If `logger` is missing or dies, lines go to stderr and
 *   one line says why. keepalived with `-l` writes to both; we write to the console only, since under
 *   systemd the console is the journal already and each line would appear twice. `-G` means console.
 * - level: info; `-D` or `--log-level debug` shows debug lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import pino from 'pino';
import { errorText } from '../util/errors.js';

export type Logger = pino.Logger;

export type LogFormat = 'human' | 'json';
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogOptions {
  /** -D */
  detail?: boolean;
  level?: LogLevel;
  format?: LogFormat;
  /** -l: the console instead of syslog. */
  console?: boolean;
  /** -G */
  noSyslog?: boolean;
  /** -S: 0-7 (local0-7) or a facility name. */
  facility?: string;
  /** The program name on each line and in syslog: tskeepalived, or tskeepalived_vrrp and
   * tskeepalived_healthcheckers in the child processes (keepalived's Keepalived_vrrp...). */
  ident?: string | (() => string);
  /** For tests: where console lines go (default stderr). */
  sink?: (line: string) => void;
  /** Sees every record's level and human text as well (the daemon keeps start-up errors for stderr). */
  tap?: (level: number, text: string) => void;
}

const FACILITIES = new Set([
  'auth',
  'authpriv',
  'cron',
  'daemon',
  'ftp',
  'kern',
  'lpr',
  'mail',
  'news',
  'syslog',
  'user',
  'uucp',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
]);

/** keepalived's -S value as a syslog facility name; throws with the accepted spellings. */
export function facilityName(v: string): string {
  if (/^[0-7]$/.test(v)) return `local${v}`;
  const n = v.toLowerCase().replace(/^log_/, '');
  if (FACILITIES.has(n)) return n;
  throw new Error(`log facility '${v}' is not 0-7, local0-7, user, daemon or another syslog facility name`);
}

/** syslog severities of pino's levels. */
const SEVERITY: Record<number, number> = { 10: 7, 20: 7, 30: 6, 40: 4, 50: 3, 60: 2 };

interface Record_ {
  level: number;
  time: string;
  pid: number;
  msg?: string;
  [k: string]: unknown;
}

/** One pino record as a human line (without the time, which syslog adds itself). */
export function humanLine(r: Record_): string {
  const extra = Object.entries(r)
    .filter(([k]) => k !== 'level' && k !== 'time' && k !== 'pid' && k !== 'msg' && k !== 'hostname')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const tag = r.level >= 50 ? 'Error: ' : r.level >= 40 ? 'Warning: ' : r.level <= 20 ? 'debug: ' : '';
  return `${tag}${r.msg ?? ''}${extra.length ? ' ' + extra.join(' ') : ''}`;
}

class Syslog {
  private child: ChildProcess | undefined;
  private failed = false;

  constructor(
    facility: string,
    private readonly fallback: (line: string) => void,
    private readonly identOf: () => string,
  ) {
    try {
      const c = spawn('logger', ['--prio-prefix', '-t', identOf(), `--id=${process.pid}`, '-p', `${facility}.info`], { stdio: ['pipe', 'ignore', 'ignore'] });
      c.on('error', (e: NodeJS.ErrnoException) => this.fail(`syslog unavailable (logger: ${e.code ?? e.message}): logging to stderr`));
      c.on('exit', (code) => this.fail(`syslog unavailable (logger exited with ${code}): logging to stderr`));
      c.stdin!.on('error', () => undefined);
      c.unref();
      (c.stdin as unknown as { unref?: () => void }).unref?.();
      this.child = c;
    } catch (e) {
      this.fail(`syslog unavailable (${errorText(e)}): logging to stderr`);
    }
  }

  private fail(why: string): void {
    if (this.failed) return;
    this.failed = true;
    this.child = undefined;
    this.fallback(`${new Date().toISOString()} ${this.identOf()}[${process.pid}]: Warning: ${why}`);
  }

  write(severity: number, text: string, stamped: string): void {
    if (this.failed || !this.child?.stdin?.writable) return this.fallback(stamped);
    // A line break inside a message would start a new syslog record without a priority.
    this.child.stdin.write(`<${severity}>${text.replace(/\n/g, ' ')}\n`);
  }
}

/** Whether these options put the log lines on the console (stderr): -l, -G, or no syslog socket. */
export function logsToConsole(o: LogOptions): boolean {
  return o.console === true || o.noSyslog === true || !fs.existsSync('/dev/log');
}

export function createLogger(o: LogOptions | boolean = {}): Logger {
  const opts: LogOptions = typeof o === 'boolean' ? { detail: o, console: true } : o;
  const level = opts.detail ? 'debug' : (opts.level ?? 'info');
  const format = opts.format ?? 'human';
  const sink = opts.sink ?? ((line: string) => void process.stderr.write(line + '\n'));
  const identOpt = opts.ident ?? 'tskeepalived';
  const identOf = typeof identOpt === 'string' ? () => identOpt : identOpt;
  const useSyslog = !opts.console && !opts.noSyslog;
  let syslog: Syslog | undefined;
  if (useSyslog && !fs.existsSync('/dev/log')) {
    sink(`${new Date().toISOString()} ${identOf()}[${process.pid}]: Warning: syslog unavailable (no /dev/log): logging to stderr`);
  } else if (useSyslog) syslog = new Syslog(opts.facility ? facilityName(opts.facility) : 'daemon', sink, identOf);
  const stream = {
    write(chunk: string): void {
      const json = chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk;
      let r: Record_;
      try {
        r = JSON.parse(json) as Record_;
      } catch {
        return sink(json);
      }
      opts.tap?.(r.level, humanLine(r));
      const text = format === 'json' ? json : humanLine(r);
      const stamped = format === 'json' ? json : `${r.time} ${identOf()}[${r.pid}]: ${text}`;
      if (syslog) syslog.write(SEVERITY[r.level] ?? 6, text, stamped);
      else sink(stamped);
    },
  };
  return pino({ base: { pid: process.pid }, level, timestamp: pino.stdTimeFunctions.isoTime }, stream);
}

/** The time a human or JSON log line was written (ms since epoch), for tests and tools. */
export function lineTime(line: string): number {
  if (line.startsWith('{')) return Date.parse((JSON.parse(line) as { time: string }).time);
  return Date.parse(line.slice(0, line.indexOf(' ')));
}
