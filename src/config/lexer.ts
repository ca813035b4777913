/**
 * Config layer: turns keepalived.conf (and everything it includes) into logical lines of words.
 *
 * Order of work for each physical line, as keepalived's read_line() does it:
 *   CR/LF stripped -> decomment -> multi-line `$NAME= \` definitions collected ->
 *   `@id` / `@^id` conditional -> `$NAME=value` definition -> `~SEQ` / `~LST` repetition ->
 *   `$NAME` / `${NAME}` expansion (re-checked, a multi-line value yields several lines) ->
 *   `include` -> braces split onto lines of their own -> words.
 *
 * File access goes through ConfigFs so the lexer can be driven from memory in tests.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import type { Diagnostics, Loc } from './diagnostics.js';
import { LINE_BREAK, Params, parseDefinition, parseSequence } from './params.js';
import { decomment, splitBraces, tokenize } from './text.js';

export interface Line {
  tokens: string[];
  loc: Loc;
}

export interface ConfigFs {
  readFile(file: string): string;
  /** Absolute paths matching an absolute glob pattern (with `{a,b}` braces), sorted. */
  glob(pattern: string): string[];
}

/** tinyglobby, loaded on the first pattern that needs it (most files include none: `-t` starts faster). */
let globSync: typeof import('tinyglobby').globSync | undefined;

export const nodeFs: ConfigFs = {
  readFile: (file) => fs.readFileSync(file, 'utf8'),
  glob: (pattern) => {
    if (!/[*?[{]/.test(pattern)) return fs.existsSync(pattern) ? [pattern] : [];
    globSync ??= (createRequire(import.meta.url)('tinyglobby') as typeof import('tinyglobby')).globSync;
    return globSync([pattern], { absolute: true, expandDirectories: false, onlyFiles: true }).sort();
  },
};

export interface LexOptions {
  diag: Diagnostics;
  /** The -i/--config-id value; null means "no id" (every `@id` line is skipped, `@^id` kept). */
  configId: string | null;
  fs?: ConfigFs;
  random?: () => number;
  /** Bounds against runaway input. */
  maxIncludeDepth?: number;
  maxExpansionDepth?: number;
  maxSequence?: number;
  /** Longest line a parameter expansion may produce, in characters. */
  maxLineLength?: number;
  /** Most logical lines the whole configuration may expand to. */
  maxLines?: number;
  /** Most lines processed in all, expansions included. */
  maxWork?: number;
  /** -e/--all-config: a plain `include` that matches nothing is an error too. */
  allConfig?: boolean;
}

interface FileFrame {
  display: string;
  abs: string;
  dir: string;
}

const INCLUDE_RE = /^include([rmwba]?)[ \t]+(.*)$/;

export class Lexer {
  readonly params = new Params();
  private readonly fs: ConfigFs;
  private readonly stack: FileFrame[] = [];
  private readonly maxIncludeDepth: number;
  private readonly maxExpansionDepth: number;
  private readonly maxSequence: number;
  private readonly random: () => number;
  private readonly maxLineLength: number;
  private readonly maxLines: number;
  private overflowReported = false;
  /** Lines processed, expansions included: bounds self-referencing multi-line parameters ($A = "$A\n$A"). */
  private work = 0;
  /** Lines whose runaway expansion was already reported (BOUNDED by the lines of the file). */
  private readonly depthReported = new Set<string>();
  private readonly maxWork: number;
  /** Braces seen, to report "missing '}'" at the end like keepalived. */
  private depth = 0;
  private lastLoc: Loc = { file: '', line: 0 };

  constructor(private readonly opts: LexOptions) {
    this.fs = opts.fs ?? nodeFs;
    this.maxIncludeDepth = opts.maxIncludeDepth ?? 32;
    this.maxExpansionDepth = opts.maxExpansionDepth ?? 16;
    this.maxSequence = opts.maxSequence ?? 1_000_000;
    this.random = opts.random ?? Math.random;
    this.maxLineLength = opts.maxLineLength ?? 1 << 20;
    this.maxLines = opts.maxLines ?? 2_000_000;
    this.maxWork = opts.maxWork ?? 2 * this.maxLines;
  }

  /** All logical lines of `file`, includes inlined. Returns [] (with a fatal diagnostic) if unreadable. */
  read(file: string): Line[] {
    const out: Line[] = [];
    let text: string;
    try {
      text = this.fs.readFile(file);
    } catch (e) {
      this.opts.diag.fatal(`cannot read configuration file ${file}: ${errText(e)}`);
      return out;
    }
    this.readText(file, path.resolve(file), text, out);
    if (this.depth > 0) {
      this.opts.diag.error(`there are ${this.depth} missing '}'s or extra '{'s`, this.lastLoc);
    }
    return out;
  }

  private readText(display: string, abs: string, text: string, out: Line[]): void {
    this.stack.push({ display, abs, dir: path.dirname(abs) });
    try {
      const physical = text.split('\n');
      let pending: { name: string; lines: string[]; loc: Loc } | null = null;
      let joined: { text: string; loc: Loc } | null = null;
      for (let i = 0; i < physical.length; i++) {
        const raw = physical[i]!.replace(/\r+$/, '');
        const loc: Loc = { file: display, line: i + 1 };
        if (pending) {
          // Inside a multi-line definition: an empty line ends it, a line without `\` is its last.
          if (raw.trim() === '') {
            this.params.set(pending.name, pending.lines);
            pending = null;
            continue;
          }
          const d = decomment(raw);
          if (d.text !== '' || d.continued) {
            if (d.text !== '') pending.lines.push(d.text);
            if (!d.continued) {
              this.params.set(pending.name, pending.lines);
              pending = null;
            }
          }
          continue;
        }
        const d = decomment(raw);
        if (d.unterminatedQuote) this.opts.diag.error(`unterminated quote in '${raw.trim()}'`, loc);
        let lineText = d.text;
        let lineLoc = loc;
        if (joined) {
          lineText = joined.text + ' ' + d.text;
          lineLoc = joined.loc;
          joined = null;
        }
        if (d.continued) {
          const def = parseDefinition(lineText);
          if (def) {
            pending = { name: def.name, lines: def.value === '' ? [] : [def.value], loc };
            continue;
          }
          // A plain line ending in `\` continues on the next physical line.
          joined = { text: lineText, loc: lineLoc };
          continue;
        }
        if (lineText === '') continue;
        this.processLine(lineText, lineLoc, out, 0);
      }
      if (pending) this.params.set(pending.name, pending.lines);
      if (joined) this.processLine(joined.text, joined.loc, out, 0);
    } finally {
      this.stack.pop();
    }
  }

  private get frame(): FileFrame {
    return this.stack[this.stack.length - 1]!;
  }

  private paramEnv() {
    return { pwd: this.frame.dir, instance: this.opts.configId ?? '', random: this.random };
  }

  private processLine(text: string, loc: Loc, out: Line[], depth: number): void {
    if (out.length >= this.maxLines || ++this.work > this.maxWork) {
      if (!this.overflowReported) {
        this.overflowReported = true;
        this.opts.diag.fatal(`configuration expands to more than ${this.maxLines} lines (or ${this.maxWork} expansion steps) - the rest is ignored; is a parameter defined in terms of itself?`, loc);
      }
      return;
    }
    if (depth > this.maxExpansionDepth) {
      const key = `${loc.file}:${loc.line}`;
      if (!this.depthReported.has(key)) {
        this.depthReported.add(key);
        this.opts.diag.error(`parameter expansion nested more than ${this.maxExpansionDepth} deep (is a parameter defined in terms of itself?) - expansion stopped`, loc);
      }
      return;
    }
    let line = text.trim();
    if (line === '') return;

    // `@id line` / `@^id line`: keep the line only when the config-id matches (or not, for @^).
    if (line[0] === '@') {
      const neg = line[1] === '^';
      const m = /^@\^?(\S*)[ \t]+(.*)$/.exec(line);
      if (!m) return;
      const matches = this.opts.configId !== null && m[1] === this.opts.configId;
      if (matches === neg) return;
      line = m[2]!.trim();
      if (line === '') return;
    }

    const def = parseDefinition(line);
    if (def) {
      this.params.set(def.name, [def.value]);
      return;
    }

    if (line.startsWith('~SEQ') || line.startsWith('~LST')) {
      // Parameters inside the specification itself are expanded first.
      const close = line.indexOf(')');
      let spec = line;
      if (close > 0) {
        // Inside the parentheses a parameter ends at any non-name character (`$START,`), not only a blank.
        const head = line.slice(0, close + 1).replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (m, name: string) => {
          const v = this.params.replaceOnce('${' + name + '}', this.paramEnv());
          return v.changed ? v.text : m;
        });
        spec = head + line.slice(close + 1);
      }
      const seq = parseSequence(spec, this.maxSequence);
      if (typeof seq === 'string') {
        this.opts.diag.error(`invalid ${line.slice(0, 4)} specification: ${seq}`, loc);
        return;
      }
      for (const values of seq.values) {
        seq.vars.forEach((v, k) => {
          this.params.set(v, [values[k]!]);
        });
        this.processLine(seq.rest, loc, out, depth + 1);
      }
      return;
    }

    if (line.includes('$')) {
      let cur = line;
      let changed = false;
      for (let pass = 0; pass < this.maxExpansionDepth; pass++) {
        const r = this.params.replaceOnce(cur, this.paramEnv());
        if (!r.changed) break;
        if (r.text.length > this.maxLineLength) {
          this.opts.diag.error(`parameter expansion of '${line.slice(0, 60)}' grows beyond ${this.maxLineLength} characters - line ignored`, loc);
          return;
        }
        changed = true;
        cur = r.text;
        if (cur.includes(LINE_BREAK) || cur.trimStart()[0] === '@' || cur.trimStart().startsWith('~')) break;
        if (pass === this.maxExpansionDepth - 1) {
          this.opts.diag.error(`parameter expansion does not terminate in '${line}'`, loc);
          return;
        }
      }
      if (changed) {
        // keepalived decomments again after substitution, so `$X` expanding to `#...` comments the line out.
        for (const l of cur.split(LINE_BREAK)) this.processLine(decomment(l).text, loc, out, depth + 1);
        return;
      }
    }

    const inc = INCLUDE_RE.exec(line);
    if (inc) {
      this.include(inc[1]!, inc[2]!, loc, out);
      return;
    }

    this.emit(line, loc, out);
  }

  private include(kind: string, spec: string, loc: Loc, out: Line[]): void {
    let pattern = spec.trim();
    if (pattern.length >= 2 && pattern.startsWith('"') && pattern.endsWith('"')) pattern = pattern.slice(1, -1);
    const strict = kind !== '' || this.opts.allConfig === true; // includer/includem/... and -e report missing files
    if (this.stack.length > this.maxIncludeDepth) {
      this.opts.diag.error(`include nested more than ${this.maxIncludeDepth} deep: '${pattern}' ignored`, loc);
      return;
    }
    const abs = path.resolve(this.frame.dir, pattern);
    let files: string[];
    try {
      files = this.fs.glob(abs);
    } catch (e) {
      files = [];
      this.opts.diag.error(`include '${pattern}': ${errText(e)}`, loc);
    }
    if (files.length === 0) {
      const msg = `config files missing '${pattern}'`;
      if (strict) this.opts.diag.fatal(msg, loc);
      else this.opts.diag.info(msg, loc);
      return;
    }
    for (const f of files) {
      if (this.stack.some((s) => s.abs === f)) {
        this.opts.diag.error(`include loop: ${f} is already being read`, loc);
        continue;
      }
      let text: string;
      try {
        text = this.fs.readFile(f);
      } catch (e) {
        const msg = `cannot read included file ${f}: ${errText(e)}`;
        if (strict) this.opts.diag.fatal(msg, loc);
        else this.opts.diag.info(msg, loc);
        continue;
      }
      this.readText(f, f, text, out);
    }
  }

  private emit(line: string, loc: Loc, out: Line[]): void {
    for (const part of splitBraces(line)) {
      const t = tokenize(part);
      if (t.unmatchedQuote) this.opts.diag.error(`unmatched quote: '${part}'`, loc);
      if (t.tokens.length === 0) continue;
      if (part === '{') this.depth++;
      else if (part === '}') {
        if (this.depth < 1) {
          this.opts.diag.error(`extra '}' found`, loc);
          this.depth = 0;
        } else this.depth--;
      }
      this.lastLoc = loc;
      out.push({ tokens: t.tokens, loc });
    }
  }
}

function errText(e: unknown): string {
  if (e && typeof e === 'object' && 'code' in e) return String((e as { code: unknown }).code);
  return e instanceof Error ? e.message : String(e);
}
