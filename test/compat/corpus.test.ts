/**
 * Compatibility: tskeepalived -t gives keepalived 2.2.7's verdict (exit code) on the shared corpus.
 * The corpus lives outside the repository; the test skips, saying so, when it is absent.
 * AGREEMENT_FLOOR is a ratchet: raise it when the parser improves, never lower it.
 */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CORPUS_DIR, readIndex, runCorpusFile } from './corpus.js';

const AGREEMENT_FLOOR = 108;
const present = fs.existsSync(`${CORPUS_DIR}/INDEX.md`);

describe.skipIf(!present)('shared keepalived.conf corpus (../shared/corpus)', () => {
  it('agrees with keepalived 2.2.7 on the exit code of -t', () => {
    const entries = readIndex();
    expect(entries.length).toBeGreaterThanOrEqual(100);
    const runs = entries.map((e) => runCorpusFile(e));
    const agree = runs.filter((r) => r.rc === r.entry.rc);
    const disagree = runs.filter((r) => r.rc !== r.entry.rc);
    const report = disagree.map((r) => `  ${r.entry.file}: keepalived rc=${r.entry.rc} (${r.entry.first}) / tskeepalived rc=${r.rc} (${r.first})`);
    console.log(`corpus agreement: ${agree.length}/${runs.length}\n${report.join('\n')}`);
    expect(agree.length).toBeGreaterThanOrEqual(AGREEMENT_FLOOR);
  });

  it('never throws and names file:line for every diagnostic that comes from a line', () => {
    for (const e of readIndex()) {
      const r = runCorpusFile(e);
      expect(typeof r.rc).toBe('number');
    }
  });
});

if (!present) console.log(`shared corpus not found at ${CORPUS_DIR}: corpus compatibility test skipped`);
