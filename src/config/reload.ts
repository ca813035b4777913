/**
 * Config layer: a reload's load, parsing again only the virtual_server blocks whose text changed.
 *
 * reloadConfig(previous, file, opts) gives exactly what loadConfig(file, opts) gives now, and the memo of
 * it for the next reload (reload-memo.ts). From the memo of the last load it takes the fast path when
 *   - the same options are used, every include pattern matches the same files and every file reads;
 *   - each file that changed changed only inside virtual_server blocks, in a way reload-region.ts can
 *     parse on its own (no parameters, conditions, includes, FILE_CHECK or BFD_CHECK there).
 * Then the changed blocks are parsed again; the other blocks keep what they gave (their lines, locations
 * and diagnostics moved when lines were added or removed above them); the rest of the model is copied
 * from its parse and validated again, as are a group's virtual servers; the others keep their verdict
 * (reload-memo.ts) and have only their scripts checked again. A virtual server running no script keeps
 * its validated object, and when no line moved above it, that object is the very one of the last result
 * (===). Nothing of the last result or memo is changed. Anything the fast path cannot vouch for loads the
 * whole file.
 */
import type { Diagnostic } from './diagnostics.js';
import { Diagnostics } from './diagnostics.js';
import { hostEnv } from './env.js';
import { configIdOf, validationEnv, type LoadOptions, type LoadResult } from './index.js';
import { nodeFs } from './lexer.js';
import { CloneRefused, cloneModel, copyForScriptChecks, type LineMap } from './model-clone.js';
import type { VirtualServer } from './model/lvs.js';
import {
  loadRemembered,
  RELOAD_MAX_LINES,
  vsMemoAfter,
  vsMemoBefore,
  whenChecked,
  type BlockMemo,
  type Checked,
  type FsStep,
  type LoadMemo,
  type VsMemo,
} from './reload-memo.js';
import { changedRegion, type Region } from './reload-region.js';
import { validate } from './validate/index.js';
import type { VsVerdict } from './validate/lvs.js';

export type { LoadMemo };

export interface Reloaded {
  result: LoadResult;
  memo: LoadMemo;
  /** The virtual_server blocks parsed again, or 'all' for a full load. */
  reparsed: number | 'all';
  /** Why the whole file was loaded (not said for a first load). */
  fullBecause?: string;
}

/** loadConfig(file, opts), parsing again only what changed since `previous` when it can tell. */
export function reloadConfig(previous: LoadMemo | undefined, file: string, opts: LoadOptions = {}): Reloaded {
  let why: string | undefined;
  if (previous) {
    try {
      const fast = fastReload(previous, file, opts);
      if (typeof fast !== 'string') return fast;
      why = fast;
    } catch (e) {
      if (!(e instanceof CloneRefused)) throw e;
      why = e.message;
    }
  }
  const { result, memo } = loadRemembered(file, opts);
  return why === undefined ? { result, memo, reparsed: 'all' } : { result, memo, reparsed: 'all', fullBecause: why };
}

/** The files read again as the last load read them, or why they cannot be. */
function readAgain(steps: FsStep[], opts: LoadOptions): FsStep[] | string {
  const fs = opts.fs ?? nodeFs;
  const out: FsStep[] = [];
  for (const s of steps) {
    try {
      if ('glob' in s) {
        const files = fs.glob(s.glob);
        if (files.length !== s.files.length || files.some((f, i) => f !== s.files[i])) return `include ${s.glob} matches other files`;
        out.push(s);
      } else {
        const text = fs.readFile(s.read);
        out.push(text === s.text ? s : { read: s.read, text });
      }
    } catch {
      return `${'glob' in s ? s.glob : s.read} cannot be read again`;
    }
  }
  return out;
}

/** A diagnostic with its line mapped (the same object when the line stays). */
function mapDiag(d: Diagnostic, map: LineMap): Diagnostic {
  if (!d.loc) return d;
  const line = map(d.loc.file, d.loc.line);
  if (line === undefined) throw new CloneRefused(`${d.loc.file}:${d.loc.line}: a diagnostic points into a changed line`);
  return line === d.loc.line ? d : { ...d, loc: { file: d.loc.file, line } };
}

function mapDiags(ds: Diagnostic[], map: LineMap): Diagnostic[] {
  const out = ds.map((d) => mapDiag(d, map));
  return out.every((d, i) => d === ds[i]) ? ds : out;
}

function fastReload(prev: LoadMemo, file: string, opts: LoadOptions): Reloaded | string {
  if (prev.refused !== undefined || prev.rest === undefined) return `the last load cannot be reused: ${prev.refused}`;
  const env = opts.env ?? hostEnv();
  const configId = configIdOf(opts, env);
  if (
    file !== prev.file ||
    configId !== prev.configId ||
    (opts.allConfig === true) !== prev.allConfig ||
    opts.namespace !== prev.namespace ||
    opts.env !== prev.env
  )
    return 'the options changed';
  const steps = readAgain(prev.steps, opts);
  if (typeof steps === 'string') return steps;

  const regions: Region[] = [];
  for (let i = 0; i < steps.length; i++) {
    const now = steps[i]!;
    const was = prev.steps[i]!;
    if (now === was || !('read' in now) || !('read' in was)) continue;
    const r = changedRegion(now.read, was.text, now.text, prev.blocks, prev.lexerDiags, { configId, allConfig: prev.allConfig });
    if (typeof r === 'string') return r;
    regions.push(r);
  }
  let lines = prev.lines;
  let work = prev.work;
  for (const r of regions) {
    for (let k = r.at; k < r.at + r.count; k++) lines -= prev.blocks[k]!.lines;
    lines += r.lines;
    work += r.work;
  }
  if (lines > RELOAD_MAX_LINES || work > RELOAD_MAX_LINES) return 'the file expands to too many lines';

  const byFile = new Map(regions.map((r) => [r.file, r]));
  const map: LineMap = (f, line) => {
    const r = byFile.get(f);
    if (!r || line < r.first) return line;
    return line > r.last ? line + r.delta : undefined;
  };
  /** Whether the lines of a block of the last load moved. */
  const moved = (b: BlockMemo) => {
    const r = byFile.get(b.file);
    return r !== undefined && r.delta !== 0 && b.first > r.last;
  };

  // The blocks in order: the last load's, moved, with the changed ones replaced by their new parse.
  const blocks: BlockMemo[] = [];
  const fresh: Array<{ block: BlockMemo; vs: VirtualServer }> = [];
  const preVs: VirtualServer[] = [];
  // BOUNDED by the virtual servers of the file.
  const verdicts = new Map<VirtualServer, VsVerdict>();
  const checks = new Map<VirtualServer, Checked>();
  // BOUNDED by the files read.
  const insertAt = new Map<number, Region>();
  for (const r of regions) {
    if (r.blocks.length === 0 && r.count === 0) continue;
    if (insertAt.has(r.at)) return 'two changed files meet';
    insertAt.set(r.at, r);
  }
  let reparsed = 0;
  for (let k = 0; ; ) {
    const r = insertAt.get(k);
    if (r) {
      insertAt.delete(k);
      for (const { added, ...b } of r.blocks) {
        if (added) {
          b.vs = vsMemoBefore(added);
          preVs.push(added);
          fresh.push({ block: b, vs: added });
        }
        blocks.push(b);
        reparsed++;
      }
      k += r.count;
      continue;
    }
    const old = prev.blocks[k++];
    if (!old) break;
    const shift = moved(old);
    const b: BlockMemo = shift ? { ...old, first: map(old.file, old.first)!, last: map(old.file, old.last)! } : { ...old };
    b.diags = mapDiags(old.diags, map);
    if (old.vs) b.vs = carry(old.vs, shift ? map : undefined, preVs, verdicts);
    blocks.push(b);
  }

  const rest = regions.some((r) => r.delta !== 0) ? cloneModel(prev.rest, map) : prev.rest;
  const config = cloneModel(rest);
  config.lvs.virtualServers = preVs;
  const diag = new Diagnostics();
  const lexerDiags = mapDiags(prev.lexerDiags, map);
  diag.list.push(...lexerDiags);
  for (const b of blocks) diag.list.push(...b.diags);
  validate(
    config,
    { diag, env: validationEnv(opts, env, config), scripts: [] },
    { verdictOf: (vs) => verdicts.get(vs), checked: (vs, v) => checks.set(vs, whenChecked(vs, v)) },
  );
  for (const { block, vs } of fresh) if (!block.vs!.parsed) block.vs = vsMemoAfter(vs, checks.get(vs)!);

  const result: LoadResult = { config, diagnostics: diag, exitCode: diag.exitCode(), lines };
  return { result, memo: { ...prev, steps, blocks, lexerDiags, rest, lines, work }, reparsed };
}

/**
 * The memo of a virtual server kept from the last load (its locations moved by `map` when given), and its
 * entry in the list to validate: its resolved object, which validation skips; a copy of it as checked,
 * whose scripts validation checks; or a copy of it as parsed, which validation checks whole.
 */
function carry(m: VsMemo, map: LineMap | undefined, preVs: VirtualServer[], verdicts: Map<VirtualServer, VsVerdict>): VsMemo {
  const moved = (k: { vs: VirtualServer; verdict: VsVerdict }) =>
    map ? { vs: cloneModel(k.vs, map), verdict: { ...k.verdict, diags: mapDiags(k.verdict.diags, map) } } : k;
  if (m.resolved) {
    const resolved = moved(m.resolved);
    preVs.push(resolved.vs);
    verdicts.set(resolved.vs, resolved.verdict);
    return { resolved };
  }
  if (m.checked) {
    const checked = moved(m.checked);
    const vs = copyForScriptChecks(checked.vs);
    preVs.push(vs);
    verdicts.set(vs, checked.verdict);
    return { checked };
  }
  const parsed = map ? cloneModel(m.parsed!, map) : m.parsed!;
  preVs.push(cloneModel(parsed));
  return { parsed };
}

/**
 * Runs a reload by difference from `previous` once and drops its result, so that the code a reload runs is
 * compiled before the first SIGHUP needs it (a process's first reload by difference of the 1 MB file took 2-3
 * times as long as the next ones, and V8's memory-saving collection after a start throws compiled code away).
 * The "edited" file is the one read last time with a space added at the end of the first virtual_server
 * block's first line: that block is parsed again and validated, nothing else. Reads no file (the texts come
 * from the memo; an unexpected read or listing refuses). Returns whether the difference path ran.
 */
export function rehearseReload(previous: LoadMemo, opts: LoadOptions = {}): boolean {
  if (previous.refused !== undefined || previous.rest === undefined) return false;
  const block = previous.blocks.find((b) => b.keyword === 'virtual_server' && b.vs !== undefined);
  if (!block) return false;
  const texts = new Map<string, string>();
  const globs = new Map<string, string[]>();
  for (const s of previous.steps) {
    if ('read' in s) texts.set(s.read, s.text);
    else globs.set(s.glob, s.files);
  }
  const text = texts.get(block.file);
  if (text === undefined) return false;
  // The end of physical line `block.first`.
  let at = -1;
  for (let n = 1; n <= block.first; n++) {
    at = text.indexOf('\n', at + 1);
    if (at < 0) return false;
  }
  texts.set(block.file, `${text.slice(0, at)} ${text.slice(at)}`);
  const fs = {
    readFile(f: string): string {
      const t = texts.get(f);
      if (t === undefined) throw new Error(`${f}: not read by the last load`);
      return t;
    },
    glob(p: string): string[] {
      const files = globs.get(p);
      if (files === undefined) throw new Error(`${p}: not listed by the last load`);
      return files;
    },
  };
  try {
    return typeof fastReload(previous, previous.file, { ...opts, fs }) !== 'string';
  } catch (e) {
    if (e instanceof CloneRefused) return false;
    throw e;
  }
}
