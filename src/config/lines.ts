/**
 * Config layer, pure: the lexer's logical lines, packed.
 *
 * A large keepalived.conf (10,000 real servers) is ~90,000 logical lines. Kept as one object per line
 * (its word array, its words, its location) they all outlive the young generation and the garbage
 * collector copies each of them twice; here a line is a few integers in typed arrays instead:
 *   - a word is (source, start, end): a slice of `sources[source]`, which is the text of a file (words of
 *     ordinary lines are never copied out of it) or one word of its own (words of lines the lexer had to
 *     rewrite: quotes, parameters, sequences);
 *   - a line is the index of its first word (its last is the next line's first - 1), the index of its file
 *     name in `files` and its line number there.
 * at(i) makes the Line object of line i when the walker comes to it (short-lived: only what the model keeps
 * survives).
 */
import type { Loc } from './diagnostics.js';

export interface Line {
  tokens: string[];
  loc: Loc;
}

/** A growable Int32Array (UNBOUNDED: the lexer's maxLines bounds the lines, and so the words). */
class IntVec {
  a = new Int32Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) this.reserve(this.a.length);
    this.a[this.n++] = v;
  }
  /** Room for `more` further values without growing again. */
  reserve(more: number): void {
    if (this.n + more <= this.a.length) return;
    const b = new Int32Array(Math.max(this.a.length * 2, this.n + more));
    b.set(this.a.subarray(0, this.n));
    this.a = b;
  }
}

/**
 * Sizing from a file's length, so that reading it grows the arrays once (a generous guess for
 * keepalived.conf: a logical line per 8 bytes, a word per 4; beyond it they double as usual).
 */
const BYTES_PER_LINE = 8;
const BYTES_PER_WORD = 4;

export class LineTable {
  /** File texts and stand-alone words (UNBOUNDED: one per file read and per word of a rewritten line). */
  private readonly sources: string[] = [];
  /** File names as diagnostics show them (UNBOUNDED: one per file read). */
  private readonly files: string[] = [];
  private readonly wordSrc = new IntVec();
  private readonly wordStart = new IntVec();
  private readonly wordEnd = new IntVec();
  private readonly lineWord0 = new IntVec();
  private readonly lineFile = new IntVec();
  private readonly lineNo = new IntVec();

  get length(): number {
    return this.lineWord0.n;
  }

  /** Registers a file's text; returns [its source index, its file index] for the lines read from it. */
  addFile(display: string, text: string): [number, number] {
    const lines = Math.ceil(text.length / BYTES_PER_LINE);
    const words = Math.ceil(text.length / BYTES_PER_WORD);
    for (const v of [this.lineWord0, this.lineFile, this.lineNo]) v.reserve(lines);
    for (const v of [this.wordSrc, this.wordStart, this.wordEnd]) v.reserve(words);
    this.sources.push(text);
    this.files.push(display);
    return [this.sources.length - 1, this.files.length - 1];
  }

  /** The file index of a name (registered on first use: lines made by parameter expansion keep their loc). */
  fileIndex(display: string): number {
    const last = this.files.length - 1;
    if (last >= 0 && this.files[last] === display) return last;
    const i = this.files.lastIndexOf(display);
    if (i >= 0) return i;
    this.files.push(display);
    return this.files.length - 1;
  }

  /** Starts a line of file `file` (an index from addFile/fileIndex), line number `lineNo`. */
  beginLine(file: number, lineNo: number): void {
    this.lineWord0.push(this.wordSrc.n);
    this.lineFile.push(file);
    this.lineNo.push(lineNo);
  }

  /** Adds a word to the line begun last: `sources[src]` from `start` to `end`. */
  addSlice(src: number, start: number, end: number): void {
    this.wordSrc.push(src);
    this.wordStart.push(start);
    this.wordEnd.push(end);
  }

  /** Adds a word that is not a slice of a file's text. */
  addWord(word: string): void {
    this.sources.push(word);
    this.addSlice(this.sources.length - 1, 0, word.length);
  }

  /** A whole line of words at once. */
  addLine(tokens: readonly string[], loc: Loc): void {
    this.beginLine(this.fileIndex(loc.file), loc.line);
    for (const t of tokens) this.addWord(t);
  }

  private cachedIndex = -1;
  private cached: Line | undefined;

  /** Line i as an object (the same object for two calls in a row with the same i). */
  at(i: number): Line | undefined {
    if (i === this.cachedIndex) return this.cached;
    if (i < 0 || i >= this.lineWord0.n) return undefined;
    const w0 = this.lineWord0.a[i]!;
    const w1 = i + 1 < this.lineWord0.n ? this.lineWord0.a[i + 1]! : this.wordSrc.n;
    const tokens = new Array<string>(w1 - w0);
    for (let w = w0; w < w1; w++) {
      const s = this.sources[this.wordSrc.a[w]!]!;
      const a = this.wordStart.a[w]!;
      const b = this.wordEnd.a[w]!;
      tokens[w - w0] = a === 0 && b === s.length ? s : s.slice(a, b);
    }
    const line: Line = { tokens, loc: { file: this.files[this.lineFile.a[i]!]!, line: this.lineNo.a[i]! } };
    this.cachedIndex = i;
    this.cached = line;
    return line;
  }

  /** The file name of line i (as diagnostics show it), without making the line's object. */
  fileAt(i: number): string {
    return this.files[this.lineFile.a[i]!]!;
  }

  /** The index in `files` of line i's file: two lines of the same file have the same index. */
  fileIndexAt(i: number): number {
    return this.lineFile.a[i]!;
  }

  /** The line number of line i in its file. */
  lineAt(i: number): number {
    return this.lineNo.a[i]!;
  }

  /** The first word of line i. */
  firstWordAt(i: number): string {
    const w = this.lineWord0.a[i]!;
    return this.sources[this.wordSrc.a[w]!]!.slice(this.wordStart.a[w]!, this.wordEnd.a[w]!);
  }

  /** Every line as an object. */
  toArray(): Line[] {
    const out: Line[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.at(i)!);
    return out;
  }
}
