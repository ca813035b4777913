/**
 * Config layer: the one entry point. loadConfig(file) reads keepalived.conf and everything it
 * includes, parses it against the keyword tables, fills in keepalived's defaults, validates it
 * against the machine (SystemEnv), and returns the model with every diagnostic and the exit code
 * `keepalived -t` would give. It never throws for a bad configuration.
 */
import { ConfigAbort, Diagnostics } from './diagnostics.js';
import { hostEnv, type SystemEnv } from './env.js';
import { Lexer, type ConfigFs, type LineTable } from './lexer.js';
import { emptyConfig, type KeepalivedConfig } from './model.js';
import { rootKeywords } from './keywords/index.js';
import { supportOf } from './keywords/support.js';
import type { ParseState } from './schema.js';
import { validate } from './validate/index.js';
import type { VsReuse } from './validate/lvs.js';
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
  return loadWatched(file, opts);
}

/** The config-id a load uses: -i's, else the host name up to the first dot. */
export function configIdOf(opts: LoadOptions, env: SystemEnv): string | null {
  return opts.configId === undefined ? env.shortHostname() : opts.configId;
}

/** Where validation looks at the machine: the namespace of -s or net_namespace, when there is one. */
export function validationEnv(opts: LoadOptions, env: SystemEnv, config: KeepalivedConfig): SystemEnv {
  const ns = opts.namespace ?? config.global.netNamespace;
  return opts.env === undefined && ns !== undefined ? hostEnv(ns) : env;
}

/** What reload.ts watches of a full load to remember it (loadConfig watches nothing). */
export interface LoadWatch {
  /** Used instead of opts.fs and opts.random. */
  fs: ConfigFs;
  random: () => number;
  /** The file and its includes were read into `lines`, with this config-id. */
  lexed(lexer: Lexer, lines: LineTable, diag: Diagnostics, configId: string | null): void;
  /** A top-level keyword starts at line `line` of `lines`. */
  topLevel(line: number, diag: Diagnostics, config: KeepalivedConfig): void;
  /** Every line was walked; validation comes next. */
  walked(config: KeepalivedConfig, diag: Diagnostics): void;
  reuse: VsReuse;
}

/** loadConfig(), telling `watch` each step. */
export function loadWatched(file: string, opts: LoadOptions, watch?: LoadWatch): LoadResult {
  const diag = new Diagnostics();
  const env = opts.env ?? hostEnv();
  const configId = configIdOf(opts, env);
  const config = emptyConfig();
  const fs = watch?.fs ?? opts.fs;
  const random = watch?.random ?? opts.random;
  let lineCount = 0;
  try {
    const lexer = new Lexer({
      diag,
      configId,
      ...(fs ? { fs } : {}),
      ...(random ? { random } : {}),
      ...(opts.allConfig ? { allConfig: true } : {}),
    });
    const lines = lexer.readTable(file);
    lineCount = lines.length;
    watch?.lexed(lexer, lines, diag, configId);
    const state: ParseState = { config, scratch: {} };
    const topLevel = watch && ((i: number) => watch.topLevel(i, diag, config));
    new Walker(lines, diag, state, supportOf, topLevel).run(rootKeywords(), config);
    watch?.walked(config, diag);
    // Interfaces are checked where the daemon will work: the namespace of -s or net_namespace.
    validate(config, { diag, env: validationEnv(opts, env, config), scripts: [] }, watch?.reuse);
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
