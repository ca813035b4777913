/**
 * Config layer: the part of one file that changed since the last load, and its new blocks.
 *
 * The changed lines are those between the lines both texts begin with and the lines both end with. They
 * are widened to whole blocks of the last load, which must all be virtual_server blocks; then the part is
 * parsed again on its own, which gives what a full load would give only when
 *   - the lexer starts the part in a clean state: the part starts a block, or the lines above it leave no
 *     `\` continuation or multi-line definition open;
 *   - every line of the part, old and new, is one the lexer reads without its state: no `$`, no `\`, no
 *     `@id` / `~SEQ` / `include` line (so parameters stay as they were, for the lines below too);
 *   - the new lines read without a lexer diagnostic and close every brace they open;
 *   - walked from the top level, they are whole virtual_server blocks and leave the walker at the top level
 *     (a `}` line appended after them must be read as a top-level line);
 *   - no FILE_CHECK or BFD_CHECK is in them (those read track_file and bfd_instance blocks from above).
 * Anything else is a reason, and reload.ts loads the whole file.
 */
import { Diagnostics, ConfigAbort } from './diagnostics.js';
import { Lexer } from './lexer.js';
import { rootKeywords } from './keywords/index.js';
import { supportOf } from './keywords/support.js';
import { emptyConfig } from './model.js';
import { blocksOf, type BlockMemo } from './reload-memo.js';
import { decomment } from './text.js';
import { Walker } from './walk.js';
import type { VirtualServer } from './model/lvs.js';

/** Old lines first..last of `file` are replaced by new lines first..last + delta, giving `blocks`. */
export interface Region {
  file: string;
  first: number;
  last: number;
  delta: number;
  /** The blocks of the last load it replaces: `count` of them from index `at` (count 0: `blocks` go at `at`). */
  at: number;
  count: number;
  blocks: Array<BlockMemo & { added?: VirtualServer }>;
  /** Logical lines of the new part, and the lexer's work for them. */
  lines: number;
  work: number;
}

/** Start offsets of the lines of `text` (line n starts at [n - 1]). */
function lineStarts(text: string): Int32Array {
  let a = new Int32Array(1024);
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
    if (n === a.length) {
      const b = new Int32Array(2 * n);
      b.set(a);
      a = b;
    }
    a[n++] = i + 1;
  }
  return a.subarray(0, n);
}

/** The number of entries of the sorted `a` below `v`. */
function below(a: Int32Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** How many first characters `a` and `b` share (compared a run at a time, then a character at a time). */
function commonHead(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let p = 0;
  for (let run = 65536; run >= 16; run >>= 4) while (p + run <= n && a.slice(p, p + run) === b.slice(p, p + run)) p += run;
  while (p < n && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  return p;
}

/** How many last characters `a` and `b` share. */
function commonTail(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let q = 0;
  for (let run = 65536; run >= 16; run >>= 4)
    while (q + run <= n && a.slice(a.length - q - run, a.length - q) === b.slice(b.length - q - run, b.length - q)) q += run;
  while (q < n && a.charCodeAt(a.length - 1 - q) === b.charCodeAt(b.length - 1 - q)) q++;
  return q;
}

/** The lines that differ: old first..oldLast, new first..newLast (1-based; empty when last < first). */
export function changedLines(a: string, b: string, la: Int32Array, lb: Int32Array): { first: number; oldLast: number; newLast: number } {
  const p = commonHead(a, b);
  const q = commonTail(a, b);
  // Lines before the one holding the first difference are the same; so are the last lines that start after
  // a line break inside the common end, as long as they do not reach back into the common start.
  const same = below(la, p + 1) - 1;
  const tail = Math.min(la.length - below(la, a.length - q + 1), la.length - same, lb.length - same);
  return { first: same + 1, oldLast: la.length - tail, newLast: lb.length - tail };
}

function lineOf(text: string, starts: Int32Array, n: number): string {
  return text.slice(starts[n - 1], n < starts.length ? starts[n]! - 1 : text.length);
}

/** Lines from..to of `text`. */
function linesText(text: string, starts: Int32Array, from: number, to: number): string {
  return text.slice(starts[from - 1], to < starts.length ? starts[to]! - 1 : text.length);
}

/**
 * A copy of `s` that shares no memory with the string it was cut from. V8 makes a long `slice()` a view of
 * its parent, and the words the lexer cuts from a region's text would keep the whole file of that reload
 * alive for as long as the region's virtual servers run: one file's text (a megabyte for 1,000 virtual
 * servers) per reload that changed a different virtual server (measured: +140 KiB of RSS per reload).
 */
function detached(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}

/** A line the lexer reads without its state, and which leaves its state as it was. */
function stateless(raw: string): boolean {
  if (raw.includes('$') || raw.includes('\\')) return false;
  const t = raw.trimStart();
  return !(t.startsWith('@') || t.startsWith('~') || t.startsWith('include'));
}

/** Whether the lexer starts line `n` with no continuation or multi-line definition open. */
function cleanBefore(text: string, starts: Int32Array, n: number): boolean {
  for (let k = n - 1; k >= 1; k--) {
    const raw = lineOf(text, starts, k);
    if (raw.trim() === '') return true; // a blank line ends a definition, and continues nothing
    const d = decomment(raw);
    if (d.continued) return false;
    if (d.text !== '') return true; // a line with words and no `\` at its end closes what was open
    // A comment-only line leaves a multi-line definition open: look above.
  }
  return true;
}

export interface RegionOptions {
  configId: string | null;
  allConfig: boolean;
}

/** The region of `file` that changed from `oldText` to `newText`, parsed again; or why it cannot be. */
export function changedRegion(
  file: string,
  oldText: string,
  newText: string,
  blocks: BlockMemo[],
  lexerDiags: BlockMemo['diags'],
  o: RegionOptions,
): Region | string {
  const lo = lineStarts(oldText);
  const ln = lineStarts(newText);
  const d = changedLines(oldText, newText, lo, ln);
  const delta = ln.length - lo.length;
  let first = d.first;
  let last = d.oldLast;
  // Widen to whole blocks of the file.
  const mine: number[] = [];
  for (let k = 0; k < blocks.length; k++) if (blocks[k]!.file === file) mine.push(k);
  let inside: number[] = [];
  for (let grew = true; grew; ) {
    grew = false;
    inside = mine.filter((k) => blocks[k]!.first <= last && blocks[k]!.last >= first);
    for (const k of inside) {
      const b = blocks[k]!;
      if (b.keyword !== 'virtual_server') return `${file}:${b.first}: a ${b.keyword} block changed`;
      if (b.first < first || b.last > last) {
        first = Math.min(first, b.first);
        last = Math.max(last, b.last);
        grew = true;
      }
    }
  }
  for (let i = 1; i < inside.length; i++) if (inside[i] !== inside[i - 1]! + 1) return `${file}:${first}: blocks of another file lie among the changed ones`;
  if (!mine.some((k) => blocks[k]!.first === first) && !cleanBefore(oldText, lo, first)) return `${file}:${first}: the change continues a line above it`;
  for (let n = first; n <= last; n++) if (!stateless(lineOf(oldText, lo, n))) return `${file}:${n}: a line with parameters, conditions or includes changed`;
  for (let n = first; n <= last + delta; n++)
    if (!stateless(lineOf(newText, ln, n))) return `${file}:${n}: a line with parameters, conditions or includes changed`;
  if (lexerDiags.some((x) => x.loc?.file === file && x.loc.line >= first && x.loc.line <= last)) return `${file}: the lexer reported on a changed line`;
  // The old lines too must close every brace they open, or the braces below would count differently.
  if (last >= first && !balanced(file, linesText(oldText, lo, first, last), first, o)) return `${file}:${first}: the old lines leave braces open`;

  const region: Region = { file, first, last, delta, at: inside[0] ?? -1, count: inside.length, blocks: [], lines: 0, work: 0 };
  if (last + delta < first) return region;
  const parsed = parseRegion(file, detached(linesText(newText, ln, first, last + delta)), first, o);
  if (typeof parsed === 'string') return parsed;
  Object.assign(region, parsed);
  if (region.blocks.length > 0 && region.count === 0) {
    // Nothing replaced: the new blocks go between the file's blocks around them, which must be neighbours.
    const before = mine.filter((k) => blocks[k]!.last < first).at(-1);
    const after = mine.find((k) => blocks[k]!.first > last);
    if (before !== undefined && (after === undefined ? before === blocks.length - 1 : after === before + 1)) region.at = before + 1;
    else if (before === undefined && (after === undefined ? blocks.length === 0 : after === 0)) region.at = 0;
    else return `${file}:${first}: blocks of another file lie around the new blocks`;
  }
  return region;
}

/** A lexer for the lines of a region: they read no file and expand no parameter. */
function regionLexer(diag: Diagnostics, o: RegionOptions): Lexer {
  return new Lexer({
    diag,
    configId: o.configId,
    ...(o.allConfig ? { allConfig: true } : {}),
    fs: {
      readFile: () => {
        throw new Error('no include in a region');
      },
      glob: () => [],
    },
    random: () => {
      throw new Error('no parameter in a region');
    },
  });
}

/** Whether the lines read without a lexer diagnostic, closing every brace they open. */
function balanced(file: string, text: string, first: number, o: RegionOptions): boolean {
  const diag = new Diagnostics();
  regionLexer(diag, o).readPart(file, text, first);
  return diag.list.length === 0;
}

/** Reads and walks the new text of a region (its first line is line `first` of `file`). */
function parseRegion(file: string, text: string, first: number, o: RegionOptions): Pick<Region, 'blocks' | 'lines' | 'work'> | string {
  const diag = new Diagnostics();
  const lexer = regionLexer(diag, o);
  const lines = lexer.readPart(file, text, first);
  if (diag.list.length > 0) return `${file}:${diag.list[0]!.loc?.line ?? first}: the lexer reported on a changed line`;
  const count = lines.length;
  for (let i = 0; i < count; i++) {
    const w = lines.firstWordAt(i);
    if (w === 'FILE_CHECK' || w === 'BFD_CHECK') return `${file}:${lines.lineAt(i)}: a changed block has a ${w}`;
  }
  lines.addLine(['}'], { file, line: first }); // read at the top level only when the blocks above are whole
  const config = emptyConfig();
  const starts: number[] = [];
  const diagAt: number[] = [];
  const vsAt: number[] = [];
  try {
    const onTop = (i: number) => {
      starts.push(i);
      diagAt.push(diag.list.length);
      vsAt.push(config.lvs.virtualServers.length);
    };
    new Walker(lines, diag, { config, scratch: {} }, supportOf, onTop).run(rootKeywords(), config);
  } catch (e) {
    if (!(e instanceof ConfigAbort)) throw e;
    return `${file}: a changed line stops the parse`;
  }
  if (starts.at(-1) !== count) return `${file}:${first}: the changed blocks are not whole`;
  const cut = blocksOf(lines, starts, diagAt, vsAt, diag, config.lvs.virtualServers);
  if (cut.refused) return cut.refused;
  const odd = cut.blocks.find((b) => b.keyword !== 'virtual_server');
  if (odd) return `${file}:${odd.first}: a ${odd.keyword} line is among the changed ones`;
  return { blocks: cut.blocks, lines: count, work: lexer.counters.work };
}
