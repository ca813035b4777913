/**
 * Config layer, pure: drives the keyword tables (schema.ts) over the lexer's logical lines.
 *
 * Mirrors keepalived's process_stream(): a block keyword needs a `{` (on its own line after the
 * lexer has split braces), `}` ends the current block, `{` anywhere else is "unexpected". Unlike
 * keepalived, an unknown keyword that opens a block has its whole block skipped and reported once,
 * so one typo does not cascade into a screen of errors.
 *
 * Each keyword is known by its path from the root (`global_defs.smtp_server`); when the support table
 * (keywords/support.ts) says the daemon does not act on it, every use is reported here, in one place: an info
 * `KEYWORD is not acted on by tskeepalived: why` at its line (and, for a keyword keepalived 2.2.7 does not
 * know, a warning, so `-t` exits as keepalived 2.2.7 does). Inside a block that is not acted on, only the
 * block's own line is reported.
 */
import { NOT_ACTED_ON, type Diagnostics } from './diagnostics.js';
import type { Line, LineTable } from './lexer.js';
import type { Support } from './keywords/support-kinds.js';
import { KwCtx, suggest, type ListItem, type ParseState, type Schema } from './schema.js';

/** Late-bound keyword tables, built once per table definition (BOUNDED by the number of block keywords). */
const resolvedTables = new WeakMap<object, Schema>();

export function tableOf(kws: Schema | (() => Schema)): Schema {
  if (typeof kws !== 'function') return kws;
  let t = resolvedTables.get(kws);
  if (!t) {
    t = kws();
    resolvedTables.set(kws, t);
  }
  return t;
}

/**
 * Every keyword path the tables accept, depth first. A table already being walked higher up the same path
 * (a recursive table) is not entered again.
 */
export function keywordPaths(root: Schema): string[] {
  const out: string[] = [];
  const walk = (schema: Schema, prefix: string, open: Set<Schema>): void => {
    for (const [kw, def] of Object.entries(schema)) {
      const path = prefix ? `${prefix}.${kw}` : kw;
      out.push(path);
      if (def.type !== 'block') continue;
      const inner = tableOf(def.kws);
      if (open.has(inner)) continue;
      walk(inner, path, new Set([...open, inner]));
    }
  };
  walk(root, '', new Set([root]));
  return out;
}

/** The support entry of a keyword path (keywords/support.ts), if any. */
export type SupportLookup = (path: string) => Support | undefined;

/** What a keyword is at one place in the tables: its definition, its path, its support entry. */
interface KwAt {
  def: Schema[string];
  path: string;
  support: Support | undefined;
}

export class Walker {
  private i = 0;
  /**
   * KwAt by table path, then keyword: each line costs a lookup, not a path string and a support lookup
   * (BOUNDED by the keyword paths of the tables).
   */
  private readonly kwAt = new Map<string, Map<string, KwAt | null>>();

  constructor(
    private readonly lines: Line[] | LineTable,
    private readonly diag: Diagnostics,
    private readonly state: ParseState,
    private readonly support?: SupportLookup,
    /** Told the index of the first line of each top-level keyword (reload.ts cuts the file into its blocks). */
    private readonly onTopLevel?: (line: number) => void,
  ) {}

  run(root: Schema, target: unknown): void {
    this.i = 0;
    this.level(root, target, 0, '', false);
  }

  /** Reports a use of a keyword the daemon does not act on; true when it is such a keyword. */
  private reportNotActedOn(s: Support | undefined, kw: string, line: Line, quiet: boolean): boolean {
    if (s === undefined || quiet) return s?.state === 'not';
    if (s.state !== 'conditional' && s.since !== undefined) {
      this.diag.warn(`'${kw}' is a keyword of keepalived ${s.since}, not of 2.2.7, whose -t warns 'Unknown keyword'`, line.loc);
    }
    if (s.state !== 'not') return false;
    this.diag.info(`${kw} ${NOT_ACTED_ON}: ${s.why}`, line.loc);
    return true;
  }

  private peek(): Line | undefined {
    return this.lines.at(this.i);
  }

  /** The keyword `kw` of the table at `path`, if the table has it. */
  private lookup(schema: Schema, path: string, kw: string): KwAt | null {
    let m = this.kwAt.get(path);
    if (m === undefined) {
      m = new Map();
      this.kwAt.set(path, m);
    }
    let k = m.get(kw);
    if (k === undefined) {
      const def = Object.hasOwn(schema, kw) ? schema[kw] : undefined;
      if (def === undefined) k = null;
      else {
        const kwPath = path ? `${path}.${kw}` : kw;
        k = { def, path: kwPath, support: this.support?.(kwPath) };
      }
      m.set(kw, k);
    }
    return k;
  }

  /** Skip a balanced `{ ... }` starting at the current line, if there is one. */
  private skipBlock(): void {
    const l = this.peek();
    if (l?.tokens[0] !== '{' || l.tokens.length !== 1) return;
    let depth = 0;
    while (this.i < this.lines.length) {
      const t = this.lines.at(this.i++)!;
      if (t.tokens.length === 1 && t.tokens[0] === '{') depth++;
      else if (t.tokens.length === 1 && t.tokens[0] === '}') {
        if (--depth === 0) return;
      }
    }
  }

  /** Consume the `{` that must follow a block keyword. Returns false if it was missing. */
  private expectOpen(keyword: string, line: Line): boolean {
    const l = this.peek();
    if (l && l.tokens.length === 1 && l.tokens[0] === '{') {
      this.i++;
      return true;
    }
    this.diag.error(`missing '{' at the beginning of the ${keyword} block`, line.loc);
    return false;
  }

  private level(schema: Schema, target: unknown, depth: number, path: string, quiet: boolean): void {
    while (this.i < this.lines.length) {
      if (depth === 0) this.onTopLevel?.(this.i);
      const line = this.lines.at(this.i++)!;
      const kw = line.tokens[0]!;
      if (kw === '}' && line.tokens.length === 1) {
        if (depth > 0) return;
        continue; // the lexer already reported the extra '}'
      }
      if (kw === '{' && line.tokens.length === 1) {
        this.diag.error(`unexpected '{' - ignoring`, line.loc);
        continue;
      }
      const at = this.lookup(schema, path, kw);
      if (at === null) {
        this.diag.error(`unknown keyword '${kw}'`, line.loc, suggest(kw, Object.keys(schema)));
        this.skipBlock();
        continue;
      }
      const def = at.def;
      const ctx = new KwCtx(this.diag, kw, line.tokens.slice(1), line.loc, this.state);
      switch (def.type) {
        case 'value':
          def.fn(ctx, target);
          this.reportNotActedOn(at.support, kw, line, quiet);
          // A value keyword followed by a block: keepalived would complain about the '{'.
          if (this.peek()?.tokens[0] === '{' && this.peek()!.tokens.length === 1) {
            this.diag.error(`${kw} does not take a '{ ... }' block`, line.loc);
            this.skipBlock();
          }
          break;
        case 'list': {
          const items = this.readList(kw, line);
          def.fn(ctx, target, items);
          this.reportNotActedOn(at.support, kw, line, quiet);
          break;
        }
        case 'block': {
          const child = def.open(ctx, target);
          const notActed = this.reportNotActedOn(at.support, kw, line, quiet);
          const hadOpen = this.expectOpen(kw, line);
          if (child === null) {
            if (hadOpen) {
              this.i--;
              this.skipBlock();
            }
            break;
          }
          this.level(tableOf(def.kws), child, depth + 1, at.path, quiet || notActed);
          def.close?.(ctx, child, target);
          break;
        }
      }
    }
    if (depth > 0) {
      // End of input inside a block: the lexer reports the missing '}'.
    }
  }

  /** Entries of a value block, one per line, up to the matching `}` (nested blocks kept flat). */
  private readList(keyword: string, line: Line): ListItem[] {
    const items: ListItem[] = [];
    const next = this.peek();
    if (!next || !(next.tokens.length === 1 && next.tokens[0] === '{')) {
      this.diag.error(`missing '{' at the beginning of the ${keyword} block`, line.loc);
      return items;
    }
    this.i++;
    let depth = 1;
    while (this.i < this.lines.length) {
      const l = this.lines.at(this.i++)!;
      if (l.tokens.length === 1 && l.tokens[0] === '}') {
        if (--depth === 0) return items;
        continue;
      }
      if (l.tokens.length === 1 && l.tokens[0] === '{') {
        depth++;
        continue;
      }
      items.push({ tokens: l.tokens, loc: l.loc });
    }
    return items;
  }
}
