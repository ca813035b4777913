/**
 * Config layer: diagnostics collected while reading keepalived.conf.
 *
 * Every diagnostic names the file and line it comes from (when it comes from a line) and carries a
 * class that decides the exit status of `tskeepalived -t`, the way keepalived's config_err_t does:
 *
 *   fatal    -> the configuration cannot be run            (exit 4, keepalived CONFIG_FATAL and friends)
 *   error    -> a real mistake, keepalived would still run (exit 5)
 *   warning  -> keepalived corrects it and says so         (exit 5: keepalived counts warnings too)
 *   security -> scripts would run as root without script security (exit 6)
 *   info     -> said for the operator, does not change the verdict
 *
 * keepalived keeps the "highest" class seen, where security > error/warning > fatal (its enum is ordered
 * that way), so a security problem wins over everything and a fatal error only shows when nothing else
 * was reported. `abort` (a keyword missing its parameter) stops parsing at once with exit 2, as keepalived.
 */

/**
 * Words of an info diagnostic for a keyword that is parsed but not acted on: `-t` says it (exit code
 * unchanged) and the daemon logs it as a warning with its file:line.
 */
export const NOT_ACTED_ON = 'is not acted on by tskeepalived';

export type Severity = 'info' | 'fatal' | 'warning' | 'error' | 'security';

export interface Loc {
  /** Path of the file as given or resolved (relative paths are kept as the user wrote them). */
  file: string;
  /** 1-based line number in that file. */
  line: number;
}

export interface Diagnostic {
  severity: Severity;
  message: string;
  loc?: Loc;
  /** Set for "Unknown keyword": the closest known keyword, if any is close enough. */
  suggestion?: string;
}

/** Exit codes of `keepalived -t` (keepalived's chk_exit_code), kept identical. */
export const EXIT = {
  OK: 0,
  /** keepalived's KEEPALIVED_EXIT_CONFIG: a keyword lacks a required parameter, parsing stopped. */
  ABORT: 2,
  /** The configuration cannot be run (file missing, fatal error). */
  CANNOT_RUN: 4,
  /** Errors or warnings, but keepalived would run it. */
  ERRORS: 5,
  /** Script security problem. */
  SECURITY: 6,
} as const;

/** Thrown to stop parsing at once (keepalived exits on a missing parameter). */
export class ConfigAbort extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
    this.name = 'ConfigAbort';
  }
}

export class Diagnostics {
  /** UNBOUNDED by design: one entry per problem found in the file, the file bounds it. */
  readonly list: Diagnostic[] = [];
  aborted = false;

  add(severity: Severity, message: string, loc?: Loc, suggestion?: string): void {
    const d: Diagnostic = { severity, message };
    if (loc) d.loc = { file: loc.file, line: loc.line };
    if (suggestion !== undefined) d.suggestion = suggestion;
    this.list.push(d);
  }
  error(message: string, loc?: Loc, suggestion?: string): void {
    this.add('error', message, loc, suggestion);
  }
  warn(message: string, loc?: Loc): void {
    this.add('warning', message, loc);
  }
  info(message: string, loc?: Loc): void {
    this.add('info', message, loc);
  }
  fatal(message: string, loc?: Loc): void {
    this.add('fatal', message, loc);
  }
  security(message: string, loc?: Loc): void {
    this.add('security', message, loc);
  }

  /** Record the diagnostic and stop parsing (exit 2), as keepalived does for a missing parameter. */
  abort(message: string, loc?: Loc): never {
    const d: Diagnostic = { severity: 'error', message };
    if (loc) d.loc = { ...loc };
    this.list.push(d);
    this.aborted = true;
    throw new ConfigAbort(d);
  }

  count(severity: Severity): number {
    return this.list.filter((d) => d.severity === severity).length;
  }

  exitCode(): number {
    if (this.aborted) return EXIT.ABORT;
    let code: number = EXIT.OK;
    for (const d of this.list) {
      if (d.severity === 'security') return EXIT.SECURITY;
      if (d.severity === 'error' || d.severity === 'warning') code = EXIT.ERRORS;
      else if (d.severity === 'fatal' && code === EXIT.OK) code = EXIT.CANNOT_RUN;
    }
    return code;
  }
}

/** `file:line: severity: message (did you mean 'x'?)` — the one format every front end prints. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.loc ? `${d.loc.file}:${d.loc.line}: ` : '';
  const hint = d.suggestion ? ` (did you mean '${d.suggestion}'?)` : '';
  return `${where}${d.severity}: ${d.message}${hint}`;
}
