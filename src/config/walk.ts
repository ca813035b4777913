/**
 * Config layer, pure: drives the keyword tables (schema.ts) over the lexer's logical lines.
 *
 * Mirrors keepalived's process_stream(): a block keyword needs a `{` (on its own line after the
 * lexer has split braces), `}` ends the current block, `{` anywhere else is "unexpected". Unlike
 * keepalived, an unknown keyword that opens a block has its whole block skipped and reported once,
 * so one typo does not cascade into a screen of errors.
 */
import type { Diagnostics } from './diagnostics.js';
import type { Line } from './lexer.js';
import { KwCtx, suggest, type ListItem, type ParseState, type Schema } from './schema.js';

/** Late-bound keyword tables, built once per table definition (BOUNDED by the number of block keywords). */
const resolvedTables = new WeakMap<object, Schema>();

function tableOf(kws: Schema | (() => Schema)): Schema {
  if (typeof kws !== 'function') return kws;
  let t = resolvedTables.get(kws);
  if (!t) {
    t = kws();
    resolvedTables.set(kws, t);
  }
  return t;
}

export class Walker {
  private i = 0;

  constructor(
    private readonly lines: Line[],
    private readonly diag: Diagnostics,
    private readonly state: ParseState,
  ) {}

  run(root: Schema, target: unknown): void {
    this.i = 0;
    this.level(root, target, 0);
  }

  private peek(): Line | undefined {
    return this.lines[this.i];
  }

  /** Skip a balanced `{ ... }` starting at the current line, if there is one. */
  private skipBlock(): void {
    const l = this.peek();
    if (!l || l.tokens[0] !== '{' || l.tokens.length !== 1) return;
    let depth = 0;
    while (this.i < this.lines.length) {
      const t = this.lines[this.i++]!;
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

  private level(schema: Schema, target: unknown, depth: number): void {
    while (this.i < this.lines.length) {
      const line = this.lines[this.i++]!;
      const kw = line.tokens[0]!;
      if (kw === '}' && line.tokens.length === 1) {
        if (depth > 0) return;
        continue; // the lexer already reported the extra '}'
      }
      if (kw === '{' && line.tokens.length === 1) {
        this.diag.error(`unexpected '{' - ignoring`, line.loc);
        continue;
      }
      const def = Object.prototype.hasOwnProperty.call(schema, kw) ? schema[kw] : undefined;
      if (!def) {
        this.diag.error(`unknown keyword '${kw}'`, line.loc, suggest(kw, Object.keys(schema)));
        this.skipBlock();
        continue;
      }
      const ctx = new KwCtx(this.diag, kw, line.tokens.slice(1), line.loc, this.state);
      switch (def.type) {
        case 'value':
          def.fn(ctx, target);
          // A value keyword followed by a block: keepalived would complain about the '{'.
          if (this.peek()?.tokens[0] === '{' && this.peek()!.tokens.length === 1) {
            this.diag.error(`${kw} does not take a '{ ... }' block`, line.loc);
            this.skipBlock();
          }
          break;
        case 'list': {
          const items = this.readList(kw, line);
          def.fn(ctx, target, items);
          break;
        }
        case 'block': {
          const child = def.open(ctx, target);
          const hadOpen = this.expectOpen(kw, line);
          if (child === null) {
            if (hadOpen) {
              this.i--;
              this.skipBlock();
            }
            break;
          }
          this.level(tableOf(def.kws), child, depth + 1);
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
      const l = this.lines[this.i++]!;
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
