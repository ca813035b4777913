/**
 * Config layer: the one entry point. loadConfig(file) reads keepalived.conf and everything it
 * includes, parses it against the keyword tables, fills in keepalived's defaults, validates it
 * against the machine (SystemEnv), and returns the model with every diagnostic and the exit code
 * `keepalived -t` would give. It never throws for a bad configuration.
 */
import { ConfigAbort, Diagnostics } from './diagnostics.js';
import { hostEnv, type SystemEnv } from './env.js';
import { Lexer, type ConfigFs } from './lexer.js';
import { emptyConfig, type KeepalivedConfig } from './model.js';
import { rootKeywords } from './keywords/index.js';
import { supportOf } from './keywords/support.js';
import type { ParseState } from './schema.js';
import { validate } from './validate/index.js';
import { Walker } from './walk.js';

export interface LoadOptions {
  /** -i/--config-id; undefined = the host name up to the first dot; null = none. */
  configId?: string | null;
  env?: SystemEnv;
  fs?: ConfigFs;
  random?: () => number;
  /** -e/--all-config: every include must match a readable file. */
  allConfig?: boolean;
  /** -s/--namespace: validate interfaces in that network namespace (else net_namespace's, if set). */
  namespace?: string;
}

export interface LoadResult {
  config: KeepalivedConfig;
  diagnostics: Diagnostics;
  /** keepalived -t exit status: 0 ok, 2 aborted, 4 cannot run, 5 errors, 6 script security. */
  exitCode: number;
  /** Number of logical lines read (after includes and expansion). */
  lines: number;
}

export function loadConfig(file: string, opts: LoadOptions = {}): LoadResult {
  const diag = new Diagnostics();
  const env = opts.env ?? hostEnv();
  const configId = opts.configId === undefined ? env.shortHostname() : opts.configId;
  const config = emptyConfig();
  let lineCount = 0;
  try {
    const lexer = new Lexer({
      diag,
      configId,
      ...(opts.fs ? { fs: opts.fs } : {}),
      ...(opts.random ? { random: opts.random } : {}),
      ...(opts.allConfig ? { allConfig: true } : {}),
    });
    const lines = lexer.readTable(file);
    lineCount = lines.length;
    const state: ParseState = { config, scratch: {} };
    new Walker(lines, diag, state, supportOf).run(rootKeywords(), config);
    // Interfaces are checked where the daemon will work: the namespace of -s or net_namespace.
    const ns = opts.namespace ?? config.global.netNamespace;
    const venv = opts.env === undefined && ns !== undefined ? hostEnv(ns) : env;
    validate(config, { diag, env: venv, scripts: [] });
  } catch (e) {
    if (!(e instanceof ConfigAbort)) throw e;
  }
  return { config, diagnostics: diag, exitCode: diag.exitCode(), lines: lineCount };
}

export { Diagnostics, formatDiagnostic, EXIT } from './diagnostics.js';
export type { Diagnostic, Loc, Severity } from './diagnostics.js';
export type { KeepalivedConfig } from './model.js';
export type { SystemEnv } from './env.js';
export { hostEnv, permissiveEnv } from './env.js';
