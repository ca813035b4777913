/**
 * The shared compatibility corpus (../shared/corpus): 108 real keepalived.conf files and keepalived
 * 2.2.7's verdict on each, run with every interface present ("netns" column of INDEX.md).
 * This module reads the index and runs tskeepalived's loader the same way.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hostEnv, loadConfig, formatDiagnostic } from '../../src/config/index.js';
import { nodeFs, type ConfigFs } from '../../src/config/lexer.js';

export const CORPUS_DIR = path.resolve(__dirname, '../../../shared/corpus');

export interface CorpusEntry {
  file: string;
  rc: number;
  verdict: string;
  first: string;
}

export function readIndex(dir = CORPUS_DIR): CorpusEntry[] {
  const text = fs.readFileSync(path.join(dir, 'INDEX.md'), 'utf8');
  const out: CorpusEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const cols = line.split('|').map((c) => c.trim());
    const file = /`([^`]+)`/.exec(cols[1]!)?.[1];
    const m = /rc=(\d+)(?:\s+\*\*([a-z-]+)\*\*)?:?\s*(.*)$/.exec(cols[6] ?? '');
    if (!file || !m) continue;
    out.push({ file, rc: Number(m[1]), verdict: m[2] ?? '', first: m[3] ?? '' });
  }
  return out;
}

/** Include resolution as the verdict run had it: the NNN_*.d folder, and the main->included pairs. */
function corpusFs(dir: string, file: string): ConfigFs {
  const base = file.replace(/\.conf$/, '');
  const dDir = path.join(dir, base + '.d');
  const pairs: Record<string, string> = { '066': '067', '079': '080' };
  const partner = pairs[file.slice(0, 3)];
  return {
    readFile: nodeFs.readFile,
    glob(pattern) {
      const hit = nodeFs.glob(pattern);
      if (hit.length) return hit;
      if (fs.existsSync(dDir)) {
        const name = path.basename(pattern);
        const parent = path.basename(path.dirname(pattern));
        for (const p of [path.join(dDir, name), path.join(dDir, parent, name)]) {
          const h = nodeFs.glob(p);
          if (h.length) return h;
        }
      }
      if (partner) {
        const f = fs.readdirSync(dir).find((n) => n.startsWith(partner + '_'));
        if (f) return [path.join(dir, f)];
      }
      return [];
    },
  };
}

export interface CorpusRun {
  entry: CorpusEntry;
  rc: number;
  first: string;
}

export function runCorpusFile(entry: CorpusEntry, dir = CORPUS_DIR): CorpusRun {
  const env = { ...hostEnv(), interfaceExists: () => true };
  const file = path.join(dir, entry.file);
  const fsys = corpusFs(dir, entry.file);
  // The ${_PWD}-relative includes of 060 point into its .d folder.
  const r = loadConfig(file, { env, fs: fsys, configId: null });
  const firstDiag = r.diagnostics.list.find((d) => d.severity !== 'info');
  return { entry, rc: r.exitCode, first: firstDiag ? formatDiagnostic(firstDiag) : '' };
}
