/**
 * Util: the program's own kinds of error. Each kind has a stable code, written in front of the message where
 * the command line or the daemon reports the error as the reason it stops (`tskeepalived: TSK_USAGE: ...`),
 * and the exit status it ends the program with; callers decide on `kind`, never on message text.
 *
 *   kind         code             exit  raised by
 *   usage        TSK_USAGE        2     the command line (an unknown option, a missing value)
 *   config       TSK_CONFIG       4     a configuration that cannot be run (diagnostics carry file:line)
 *   kernel       TSK_KERNEL       1     a netlink request or socket the kernel refused (`errno`: its number)
 *   permission   TSK_PERMISSION   1     an operation that needs root or a capability the process lacks
 *   script       TSK_SCRIPT       1     a script that could not be run at all (missing, not executable, unsafe)
 *   not-running  TSK_NOT_RUNNING  3     a command for a running daemon when there is none
 *
 * The exit statuses are keepalived's where it has the case (2 for a bad command line, 4 for a configuration
 * that cannot be run); 3 is the LSB status for "not running".
 */

export type ErrorKind = 'usage' | 'config' | 'kernel' | 'permission' | 'script' | 'not-running';

const CODES: Record<ErrorKind, string> = {
  usage: 'TSK_USAGE',
  config: 'TSK_CONFIG',
  kernel: 'TSK_KERNEL',
  permission: 'TSK_PERMISSION',
  script: 'TSK_SCRIPT',
  'not-running': 'TSK_NOT_RUNNING',
};

const EXIT_STATUS: Record<ErrorKind, number> = { usage: 2, config: 4, kernel: 1, permission: 1, script: 1, 'not-running': 3 };

export class TskError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TskError';
  }

  /** The kind's stable code (TSK_USAGE...). */
  get kindCode(): string {
    return CODES[this.kind];
  }

  get exitStatus(): number {
    return EXIT_STATUS[this.kind];
  }
}

export class UsageError extends TskError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('usage', message, options);
    this.name = 'UsageError';
  }
}

export class NotRunningError extends TskError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('not-running', message, options);
    this.name = 'NotRunningError';
  }
}

export class PermissionError extends TskError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('permission', message, options);
    this.name = 'PermissionError';
  }
}

export class ScriptError extends TskError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('script', message, options);
    this.name = 'ScriptError';
  }
}

export class ConfigError extends TskError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('config', message, options);
    this.name = 'ConfigError';
  }
}

/** The message of anything thrown: an Error's message, else its string form (a thrown string, a number). */
export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** `CODE: message` for one of ours, the bare message otherwise: how a fatal error is reported. */
export function reportText(e: unknown): string {
  return e instanceof TskError ? `${e.kindCode}: ${e.message}` : errorText(e);
}

/** The exit status an error ends the program with (1 for anything that is not one of ours). */
export function exitStatusOf(e: unknown): number {
  return e instanceof TskError ? e.exitStatus : 1;
}
