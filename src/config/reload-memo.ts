/**
 * Config layer: what reload.ts remembers of a load, so that the next load parses again only the
 * virtual_server blocks whose text changed; and the full load that remembers it.
 *
 * A load is remembered as
 *   - what it read, in the order the lexer asked: each file with its text, each include pattern with the
 *     files it matched;
 *   - its blocks (top-level keywords) in order: file, first and last line, keyword, logical lines, what
 *     walking it said, and for a virtual_server block the virtual server it added;
 *   - what the lexer said, and the model but its virtual servers (`rest`) as parsed, before validation.
 * Checking a virtual server (validate/lvs.ts checkVirtualServer) depends on its own text, global_defs and the
 * virtual_server_groups only, so its verdict is kept, but for a group's (numbered among the group's
 * services: kept as parsed, validated again at each load). The scripts it runs are checked against the
 * machine at each load, which may drop them: a virtual server running none is kept as validated (the
 * very object of the result), one running some as it was once checked, before its scripts were (a copy
 * of that goes through the script checks at each load). Nothing remembered is ever changed: a later
 * load copies what it must change.
 */
import type { Diagnostic, Diagnostics } from './diagnostics.js';
import type { SystemEnv } from './env.js';
import { loadWatched, type LoadOptions, type LoadResult } from './index.js';
import { DEFAULT_MAX_LINES, nodeFs, type ConfigFs, type LineTable } from './lexer.js';
import { CloneRefused, cloneModel, copyForScriptChecks } from './model-clone.js';
import type { VirtualServer } from './model/lvs.js';
import type { KeepalivedConfig } from './model.js';
import type { VsVerdict } from './validate/lvs.js';

/** A read of a file, or the files an include pattern matched. */
export type FsStep = { read: string; text: string } | { glob: string; files: string[] };

/** What is kept of a virtual server: one of the three. */
export interface VsMemo {
  /** Running no script (or dropped): as validated (in the load's result when kept), with its verdict. */
  resolved?: { vs: VirtualServer; verdict: VsVerdict };
  /** Running scripts: as checked, before the script checks (never handed out), with its verdict. */
  checked?: { vs: VirtualServer; verdict: VsVerdict };
  /** A group's: as parsed, before validation (never handed out: copies of it are validated). */
  parsed?: VirtualServer;
}

/** A top-level keyword of the configuration and what parsing it gave. */
export interface BlockMemo {
  /** File (as diagnostics name it) and lines of its first and last logical lines. */
  file: string;
  first: number;
  last: number;
  keyword: string;
  /** Logical lines. */
  lines: number;
  /** What walking it said. */
  diags: Diagnostic[];
  /** A virtual_server block that added a virtual server. */
  vs?: VsMemo;
}

export interface LoadMemo {
  /** Why no reload can start from this load (undefined: one can). */
  refused?: string;
  /** The options the load was made with. */
  file: string;
  configId: string | null;
  allConfig: boolean;
  namespace: string | undefined;
  env: SystemEnv | undefined;
  steps: FsStep[];
  blocks: BlockMemo[];
  /** What the lexer said (all of it comes before what the walker said). */
  lexerDiags: Diagnostic[];
  /** The model as parsed, with no virtual servers (undefined when refused). */
  rest: KeepalivedConfig | undefined;
  lines: number;
  /** Lines the lexer processed (expansions included), an upper bound after a reload. */
  work: number;
}

/** Logical lines and lexer work a reload may reach: half the lexer's bounds, so that it never reaches them. */
export const RELOAD_MAX_LINES = DEFAULT_MAX_LINES / 2;

/** Whether validation checks scripts of this virtual server against the machine. */
export function runsScripts(vs: VirtualServer): boolean {
  if (vs.quorumUp || vs.quorumDown) return true;
  return vs.realServers.some((rs) => rs.notifyUp || rs.notifyDown || rs.checkers.some((ch) => ch.type === 'MISC_CHECK'));
}

/**
 * The blocks of `lines`: block k is lines starts[k] to starts[k + 1] - 1, and added the diagnostics
 * diagAt[k] to diagAt[k + 1] - 1 and the virtual servers vsAt[k] to vsAt[k + 1] - 1 (the last entry of each
 * array marks where the last block ends).
 */
export function blocksOf(
  lines: LineTable,
  starts: number[],
  diagAt: number[],
  vsAt: number[],
  diag: Diagnostics,
  vss: VirtualServer[],
): { blocks: Array<BlockMemo & { added?: VirtualServer }>; refused?: string } {
  const blocks: Array<BlockMemo & { added?: VirtualServer }> = [];
  let refused: string | undefined;
  for (let k = 0; k + 1 < starts.length; k++) {
    const a = starts[k]!;
    const b = starts[k + 1]! - 1;
    const where = `${lines.fileAt(a)}:${lines.lineAt(a)}`;
    const fi = lines.fileIndexAt(a);
    for (let i = a + 1; i <= b && refused === undefined; i++) if (lines.fileIndexAt(i) !== fi) refused = `the block at ${where} spans files`;
    const keyword = lines.firstWordAt(a);
    const added = vsAt[k + 1]! - vsAt[k]!;
    if (added > (keyword === 'virtual_server' ? 1 : 0)) refused ??= `the block at ${where} added virtual servers`;
    const block: BlockMemo & { added?: VirtualServer } = {
      file: lines.fileAt(a),
      first: lines.lineAt(a),
      last: lines.lineAt(b),
      keyword,
      lines: b - a + 1,
      diags: diag.list.slice(diagAt[k], diagAt[k + 1]),
    };
    if (added > 0) block.added = vss[vsAt[k]!]!;
    blocks.push(block);
  }
  return refused === undefined ? { blocks } : { blocks, refused };
}

/** The memo of a virtual server about to be validated: a group's is kept as parsed; the others are told by `checked`. */
export function vsMemoBefore(vs: VirtualServer): VsMemo {
  return vs.kind === 'group' ? { parsed: cloneModel(vs) } : {};
}

/** What validation's `checked` hook keeps of a virtual server just checked (copied before its scripts are). */
export interface Checked {
  verdict: VsVerdict;
  /** For one running scripts: a copy as checked. */
  before?: VirtualServer;
}

export function whenChecked(vs: VirtualServer, verdict: VsVerdict): Checked {
  return verdict.kept && runsScripts(vs) ? { verdict, before: copyForScriptChecks(vs) } : { verdict };
}

/** The memo of a virtual server (not a group's) once validated, from what `checked` kept. */
export function vsMemoAfter(vs: VirtualServer, c: Checked): VsMemo {
  return c.before ? { checked: { vs: c.before, verdict: c.verdict } } : { resolved: { vs, verdict: c.verdict } };
}

/** loadConfig(file, opts), remembered. */
export function loadRemembered(file: string, opts: LoadOptions): { result: LoadResult; memo: LoadMemo } {
  let refused: string | undefined;
  const refuse = (why: string) => {
    refused ??= why;
  };
  const steps: FsStep[] = [];
  const read = new Set<string>(); // BOUNDED by the files the configuration reads
  const base: ConfigFs = opts.fs ?? nodeFs;
  const fs: ConfigFs = {
    readFile(f) {
      let text: string;
      try {
        text = base.readFile(f);
      } catch (e) {
        refuse(`${f} could not be read`);
        throw e;
      }
      if (read.has(f)) refuse(`${f} is read twice`);
      read.add(f);
      steps.push({ read: f, text });
      return text;
    },
    glob(pattern) {
      try {
        const files = base.glob(pattern);
        steps.push({ glob: pattern, files: [...files] });
        return files;
      } catch (e) {
        refuse(`include ${pattern} could not be listed`);
        throw e;
      }
    },
  };
  const random = opts.random ?? Math.random;
  let configId: string | null = null;
  let table: LineTable | undefined;
  let lexerDiags: Diagnostic[] = [];
  let work = 0;
  const starts: number[] = [];
  const diagAt: number[] = [];
  const vsAt: number[] = [];
  let blocks: Array<BlockMemo & { added?: VirtualServer }> = [];
  let rest: KeepalivedConfig | undefined;
  // BOUNDED by the virtual servers of the file.
  const checks = new Map<VirtualServer, Checked>();
  const result = loadWatched(file, opts, {
    fs,
    random: () => {
      refuse('the file draws random numbers (${_RANDOM})');
      return random();
    },
    lexed(lexer, lines, diag, id) {
      configId = id;
      table = lines;
      lexerDiags = diag.list.slice();
      const c = lexer.counters;
      work = c.work;
      if (c.openBraces > 0) refuse(`braces are left open`);
      if (lines.length > RELOAD_MAX_LINES || work > RELOAD_MAX_LINES) refuse('the file expands to too many lines');
    },
    topLevel(line, diag, config) {
      starts.push(line);
      diagAt.push(diag.list.length);
      vsAt.push(config.lvs.virtualServers.length);
    },
    walked(config, diag) {
      starts.push(table!.length);
      diagAt.push(diag.list.length);
      vsAt.push(config.lvs.virtualServers.length);
      const cut = blocksOf(table!, starts, diagAt, vsAt, diag, config.lvs.virtualServers);
      blocks = cut.blocks;
      if (cut.refused) refuse(cut.refused);
      const vss = config.lvs.virtualServers;
      try {
        config.lvs.virtualServers = [];
        rest = cloneModel(config);
        config.lvs.virtualServers = vss;
        for (const b of blocks) if (b.added) b.vs = vsMemoBefore(b.added);
      } catch (e) {
        config.lvs.virtualServers = vss;
        if (!(e instanceof CloneRefused)) throw e;
        refuse(e.message);
      }
    },
    reuse: { verdictOf: () => undefined, checked: (vs, verdict) => checks.set(vs, whenChecked(vs, verdict)) },
  });
  if (result.diagnostics.aborted) refuse('parsing stopped');
  if (rest === undefined) refuse('the file was not walked');
  const out: BlockMemo[] = blocks.map(({ added, ...b }) => {
    if (added && b.vs && !b.vs.parsed) {
      const c = checks.get(added);
      if (c) b.vs = vsMemoAfter(added, c);
      else refuse('a virtual server was not validated');
    }
    return b;
  });
  const memo: LoadMemo = {
    file,
    configId,
    allConfig: opts.allConfig === true,
    namespace: opts.namespace,
    env: opts.env,
    steps,
    blocks: out,
    lexerDiags,
    rest,
    lines: result.lines,
    work,
  };
  if (refused !== undefined) memo.refused = refused;
  return { result, memo };
}
