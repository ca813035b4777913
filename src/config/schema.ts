/**
 * Config layer, pure: the keyword-table machinery.
 *
 * Each block of keepalived.conf is described by a Schema: a table from keyword to what the keyword is
 *   - value: a keyword with its words on one line (`priority 100`)
 *   - list:  a keyword followed by a `{ ... }` of entries, each entry one line of words
 *            (`virtual_ipaddress { 192.0.2.1/24 dev eth0 }`, `track_script { chk weight 10 }`)
 *   - block: a keyword that opens a `{ ... }` of further keywords (`vrrp_instance VI_1 { ... }`)
 * Handlers receive a KwCtx with typed argument readers that report errors the way keepalived does
 * (file:line, what is wrong, what was expected) and a target object (the model node being filled).
 *
 * The walker (walk.ts) drives these tables over the lexer's lines.
 */
import type { Diagnostics, Loc } from './diagnostics.js';
import type { Line } from './lexer.js';
import { splitCommand } from './text.js';
import type { Script } from './model/script.js';

export interface ListItem {
  tokens: string[];
  loc: Loc;
}

export type ValueHandler<T> = (c: KwCtx, target: T) => void;
export type ListHandler<T> = (c: KwCtx, target: T, items: ListItem[]) => void;

// biome-ignore lint/suspicious/noExplicitAny: a keyword table mixes handlers of many target types; each handler's own signature types its target
export interface ValueKw<T = any> {
  type: 'value';
  fn: ValueHandler<T>;
}
// biome-ignore lint/suspicious/noExplicitAny: as ValueKw
export interface ListKw<T = any> {
  type: 'list';
  fn: ListHandler<T>;
}
// biome-ignore lint/suspicious/noExplicitAny: as ValueKw
export interface BlockKw<P = any, C = any> {
  type: 'block';
  /** Returns the object the inner keywords fill, or null to skip the block's contents. */
  open: (c: KwCtx, parent: P) => C | null;
  /** Called at the closing `}` with the filled object. */
  close?: (c: KwCtx, child: C, parent: P) => void;
  /** Inner keywords; a function allows recursive or late-bound tables. */
  kws: Schema | (() => Schema);
}
export type Kw = ValueKw | ListKw | BlockKw;
export type Schema = Record<string, Kw>;

export const value = <T>(fn: ValueHandler<T>): ValueKw<T> => ({ type: 'value', fn });
export const list = <T>(fn: ListHandler<T>): ListKw<T> => ({ type: 'list', fn });
export const block = <P, C>(
  kws: Schema | (() => Schema),
  open: (c: KwCtx, parent: P) => C | null,
  close?: (c: KwCtx, child: C, parent: P) => void,
): BlockKw<P, C> => (close ? { type: 'block', open, close, kws } : { type: 'block', open, kws });

/** Seconds with microsecond resolution, as keepalived's read_timer(). */
const TIMER_MAX_S = 4294.967295 * 1000;

/**
 * Arguments of one keyword line and readers for them. Index 0 is the first word after the keyword.
 * Readers return undefined after reporting an error, so a handler can simply skip the assignment.
 */
export class KwCtx {
  constructor(
    readonly diag: Diagnostics,
    readonly keyword: string,
    readonly args: string[],
    readonly loc: Loc,
    /** Shared state of the whole parse (cross-references, the model root). */
    readonly state: ParseState,
  ) {}

  get n(): number {
    return this.args.length;
  }

  error(msg: string): void {
    this.diag.error(msg, this.loc);
  }
  warn(msg: string): void {
    this.diag.warn(msg, this.loc);
  }
  info(msg: string): void {
    this.diag.info(msg, this.loc);
  }

  /** A required word: missing stops the parse (keepalived exits with 2 here). */
  str(i: number): string {
    const v = this.args[i];
    if (v === undefined) {
      this.diag.abort(`configuration line starting '${this.keyword}' is missing a parameter at word position ${i + 2}`, this.loc);
    }
    return v;
  }

  opt(i: number): string | undefined {
    return this.args[i];
  }

  /** Everything from word i on, joined by single spaces. */
  rest(i: number): string {
    return this.args.slice(i).join(' ');
  }

  /** Integer in [min, max]; accepts decimal (and 0x hex when `hex`). */
  int(i: number, min: number, max: number, what = 'number'): number | undefined {
    const s = this.str(i);
    const n = parseInteger(s);
    if (n === undefined) {
      this.error(`invalid ${what} '${s}' for ${this.keyword}: expected an integer in [${min}, ${max}]`);
      return undefined;
    }
    if (n < min || n > max) {
      this.error(`${what} '${s}' outside range [${min}, ${max}] for ${this.keyword}`);
      return undefined;
    }
    return n;
  }

  /** Decimal number (fractions allowed) in [min, max]. */
  decimal(i: number, min: number, max: number, what = 'number'): number | undefined {
    const s = this.str(i);
    if (!/^[+]?(\d+(\.\d*)?|\.\d+)$/.test(s)) {
      this.error(`invalid ${what} '${s}' for ${this.keyword}: expected a decimal number in [${min}, ${max}]`);
      return undefined;
    }
    const n = Number(s);
    if (n < min || n > max) {
      this.error(`${what} '${s}' outside range [${min}, ${max}] for ${this.keyword}`);
      return undefined;
    }
    return n;
  }

  /** A time in seconds with up to 6 decimals (keepalived TIMER); range in seconds. */
  timer(i: number, minS = 0, maxS = TIMER_MAX_S): number | undefined {
    return this.decimal(i, minS, maxS, 'time');
  }

  /**
   * A boolean keyword: no word means true; otherwise on|off|true|false|yes|no.
   * keepalived accepts these for flags such as `nopreempt`, `smtp_alert yes`.
   */
  flag(i = 0): boolean | undefined {
    const s = this.args[i];
    if (s === undefined) return true;
    const b = parseBool(s);
    if (b === undefined) {
      this.error(`invalid value '${s}' for ${this.keyword}: expected one of on|off|true|false|yes|no`);
    }
    return b;
  }

  /** One of a fixed set of words (case-insensitive when `ci`). */
  oneOf<const W extends string>(i: number, words: readonly W[], ci = false): W | undefined {
    const s = this.str(i);
    const hit = words.find((w) => (ci ? w.toLowerCase() === s.toLowerCase() : w === s));
    if (hit === undefined) {
      this.error(`invalid value '${s}' for ${this.keyword}: expected one of ${words.join('|')}`);
    }
    return hit;
  }

  /** A script command: all words from i, split into argv the way keepalived does. */
  script(i = 0): Script | undefined {
    if (this.args.length <= i) {
      this.error(`${this.keyword} needs a script`);
      return undefined;
    }
    const cmd = this.args.length === i + 1 ? this.args[i]! : this.args.slice(i).join(' ');
    const argv = splitCommand(cmd);
    if (argv.length === 0) {
      this.error(`${this.keyword} has an empty script`);
      return undefined;
    }
    return { cmd, argv, loc: this.loc };
  }

  /** Warn about words after the last one the keyword takes, as keepalived does for most keywords. */
  noMore(i: number): void {
    if (this.args.length > i) this.warn(`extra parameter(s) '${this.args.slice(i).join(' ')}' after ${this.keyword} ignored`);
  }
}

export type { Script };

export function parseInteger(s: string): number | undefined {
  if (/^[+-]?\d+$/.test(s)) return Number.parseInt(s, 10);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return Number.parseInt(s, 16);
  return undefined;
}

export function parseBool(s: string): boolean | undefined {
  switch (s.toLowerCase()) {
    case 'on':
    case 'true':
    case 'yes':
      return true;
    case 'off':
    case 'false':
    case 'no':
      return false;
    default:
      return undefined;
  }
}

/** Shared mutable state of one parse; the model root lives here. */
export interface ParseState {
  /** The model being built (see model.ts). */
  config: import('./model.js').KeepalivedConfig;
  /** Scratch space keyed by subsystem, for handlers that need to remember things between lines. */
  scratch: Record<string, unknown>;
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[n]!;
}

/** The closest keyword of `candidates` to `word`, if close enough to be a plausible typo. */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase().replace(/_/g, '_'));
    const dn = editDistance(w.replace(/[-_]/g, ''), c.toLowerCase().replace(/[-_]/g, ''));
    const dd = Math.min(d, dn);
    if (dd < bestD) {
      bestD = dd;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.min(3, Math.floor(best.length / 3)));
  return bestD <= limit ? best : undefined;
}

export type { Line };
