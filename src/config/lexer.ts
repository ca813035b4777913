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
import * as path from 'node:path';
import { createRequire } from 'node:module';
import type { Diagnostics, Loc } from './diagnostics.js';
import { LineTable, type Line } from './lines.js';
import { LINE_BREAK, Params, parseDefinition, parseSequence } from './params.js';
import { decomment, splitBraces, tokenize } from './text.js';

export type { Line };
export { LineTable };

export interface ConfigFs {
  readFile(file: string): string;
  /** Absolute paths matching an absolute glob pattern (with `{a,b}` braces), sorted. */
  glob(pattern: string): string[];
}

/** node:fs itself, not its ES module facade (which loads fs's stream classes): `-t` starts faster. */
const fs = process.getBuiltinModule('node:fs');

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
  /** Tests only: false sends every line through the full treatment, to hold the fast path to it. */
  fastPath?: boolean;
}

interface FileFrame {
  display: string;
  abs: string;
  dir: string;
}

/** Most logical lines a configuration may expand to, unless LexOptions says otherwise (maxWork: twice as many). */
export const DEFAULT_MAX_LINES = 2_000_000;

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
  /** Where the last line emitted comes from (the fast path keeps only its number: lastLoc null). */
  private lastLoc: Loc | null = { file: '', line: 0 };
  private lastLine = 0;
  private lastFile = '';
  /** Word boundaries of the line fastLine() is reading (grows with the longest line). */
  private bounds: number[] = [];

  constructor(private readonly opts: LexOptions) {
    this.fs = opts.fs ?? nodeFs;
    this.maxIncludeDepth = opts.maxIncludeDepth ?? 32;
    this.maxExpansionDepth = opts.maxExpansionDepth ?? 16;
    this.maxSequence = opts.maxSequence ?? 1_000_000;
    this.random = opts.random ?? Math.random;
    this.maxLineLength = opts.maxLineLength ?? 1 << 20;
    this.maxLines = opts.maxLines ?? DEFAULT_MAX_LINES;
    this.maxWork = opts.maxWork ?? 2 * this.maxLines;
  }

  /** All logical lines of `file`, includes inlined. Returns [] (with a fatal diagnostic) if unreadable. */
  read(file: string): Line[] {
    return this.readTable(file).toArray();
  }

  /** read(), packed (lines.ts): what the walker reads. */
  readTable(file: string): LineTable {
    const out = new LineTable();
    let text: string;
    try {
      text = this.fs.readFile(file);
    } catch (e) {
      this.opts.diag.fatal(`cannot read configuration file ${file}: ${errText(e)}`);
      return out;
    }
    this.readText(file, path.resolve(file), text, out, 1);
    this.reportOpenBraces();
    return out;
  }

  /**
   * The lines of part of a file: `text` is its lines from line `firstLine` on, read as readTable() reads a
   * whole file (reload.ts reads again only the part of a file that changed).
   */
  readPart(display: string, text: string, firstLine: number): LineTable {
    const out = new LineTable();
    this.readText(display, path.resolve(display), text, out, firstLine);
    this.reportOpenBraces();
    return out;
  }

  /** Braces left open and lines processed so far (reload.ts keeps them to bound what it reads again). */
  get counters(): { openBraces: number; work: number } {
    return { openBraces: this.depth, work: this.work };
  }

  private reportOpenBraces(): void {
    if (this.depth > 0) {
      this.opts.diag.error(`there are ${this.depth} missing '}'s or extra '{'s`, this.lastLoc ?? { file: this.lastFile, line: this.lastLine });
    }
  }

  private readText(display: string, abs: string, text: string, out: LineTable, firstLine: number): void {
    this.stack.push({ display, abs, dir: path.dirname(abs) });
    const [src, fileIndex] = out.addFile(display, text);
    try {
      let pending: { name: string; lines: string[]; loc: Loc } | null = null;
      let joined: { text: string; loc: Loc } | null = null;
      // Physical lines are walked as offsets into `text`: most lines take the fast path, which never
      // makes a string of the whole line.
      for (let i = firstLine - 1, start = 0; start <= text.length; i++) {
        let end = text.indexOf('\n', start);
        if (end < 0) end = text.length;
        const next = end + 1;
        while (end > start && text.charCodeAt(end - 1) === 13) end--; // CRs before the line break
        if (pending === null && joined === null && this.opts.fastPath !== false && this.fastLine(text, start, end, src, fileIndex, i + 1, out)) {
          start = next;
          continue;
        }
        const raw = text.slice(start, end);
        start = next;
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

  /**
   * The common line, done in one pass over its characters: blanks, words, braces, a trailing `!`/`#`
   * comment. Returns false, having done nothing, when the line needs the full treatment (a quote, a `\`,
   * a `$`, an `@`/`~` or `include` line, a control or non-ASCII character, or the line bounds reached);
   * otherwise its words are emitted exactly as processLine() + emit() would emit them.
   */
  private fastLine(text: string, start: number, end: number, src: number, file: number, lineNo: number, out: LineTable): boolean {
    const b = this.bounds;
    let n = 0; // b[2k], b[2k+1]: start and end of word k; a brace is a word of length 1 that is a brace
    let first = -1;
    for (let j = start; j < end; ) {
      const c = text.charCodeAt(j);
      if (c === 32 || c === 9) {
        j++;
        continue;
      }
      if (c === 33 || c === 35) break; // ! # : comment to the end of the line
      if (c === 123 || c === 125) {
        b[n++] = j;
        b[n++] = ++j;
        continue;
      }
      if (first < 0) {
        first = c;
        if (c === 64 || c === 126) return false; // @id, ~SEQ / ~LST
      }
      const w = j;
      for (; j < end; j++) {
        const d = text.charCodeAt(j);
        if (d <= 32 || d >= 127 || d === 33 || d === 35 || d === 123 || d === 125) break;
        if (d === 34 || d === 36 || d === 92) return false; // " $ \
      }
      if (j < end) {
        const d = text.charCodeAt(j);
        if (d < 32 ? d !== 9 : d >= 127) return false;
      }
      b[n++] = w;
      b[n++] = j;
    }
    if (n === 0) return true; // blank or comment only: nothing to emit, as in readText()
    if (text.startsWith('include', b[0]!)) return false; // include, includer, ... (or a word that starts so)
    if (out.length >= this.maxLines || this.work + 1 > this.maxWork) return false;
    this.work++;
    let inWords = false;
    for (let k = 0; k < n; k += 2) {
      const ws = b[k]!;
      const we = b[k + 1]!;
      const c = text.charCodeAt(ws);
      if (we - ws === 1 && (c === 123 || c === 125)) {
        inWords = false;
        if (c === 123) this.depth++;
        else if (this.depth < 1) {
          this.opts.diag.error(`extra '}' found`, { file: this.frame.display, line: lineNo });
          this.depth = 0;
        } else this.depth--;
        out.beginLine(file, lineNo);
        out.addSlice(src, ws, we);
        continue;
      }
      if (!inWords) {
        out.beginLine(file, lineNo);
        inWords = true;
      }
      out.addSlice(src, ws, we);
    }
    this.lastLine = lineNo;
    this.lastFile = this.frame.display;
    this.lastLoc = null;
    return true;
  }

  private get frame(): FileFrame {
    return this.stack[this.stack.length - 1]!;
  }

  private paramEnv() {
    return { pwd: this.frame.dir, instance: this.opts.configId ?? '', random: this.random };
  }

  private processLine(text: string, loc: Loc, out: LineTable, depth: number): void {
    if (out.length >= this.maxLines || ++this.work > this.maxWork) {
      if (!this.overflowReported) {
        this.overflowReported = true;
        this.opts.diag.fatal(
          `configuration expands to more than ${this.maxLines} lines (or ${this.maxWork} expansion steps) - the rest is ignored; is a parameter defined in terms of itself?`,
          loc,
        );
      }
      return;
    }
    if (depth > this.maxExpansionDepth) {
      const key = `${loc.file}:${loc.line}`;
      if (!this.depthReported.has(key)) {
        this.depthReported.add(key);
        this.opts.diag.error(
          `parameter expansion nested more than ${this.maxExpansionDepth} deep (is a parameter defined in terms of itself?) - expansion stopped`,
          loc,
        );
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

  private include(kind: string, spec: string, loc: Loc, out: LineTable): void {
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
      this.readText(f, f, text, out, 1);
    }
  }

  private emit(line: string, loc: Loc, out: LineTable): void {
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
      out.addLine(t.tokens, loc);
    }
  }
}

function errText(e: unknown): string {
  if (e && typeof e === 'object' && 'code' in e) return String((e as { code: unknown }).code);
  return e instanceof Error ? e.message : String(e);
}
