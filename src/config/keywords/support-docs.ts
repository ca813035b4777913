/**
 * Keyword tables, pure: the README's "Keywords not acted on" section, written from the support table.
 * scripts/keyword-docs.mjs puts it in README.md (`npm run docs:keywords`); a unit test fails when the README's
 * section differs from what this writes.
 */
import { keywordSupport, type Support, type SupportTable } from './support.js';

export const SECTION_START = '<!-- keywords-not-acted-on: start (written by npm run docs:keywords from src/config/keywords/support*.ts) -->';
export const SECTION_END = '<!-- keywords-not-acted-on: end -->';

/** Keyword paths grouped by what the entry says, in the table's order. */
function groups(table: SupportTable, keep: (s: Support) => boolean): { s: Support; paths: string[] }[] {
  const out = new Map<string, { s: Support; paths: string[] }>();
  for (const [path, s] of Object.entries(table)) {
    if (!keep(s)) continue;
    const key = JSON.stringify(s);
    const g = out.get(key) ?? { s, paths: [] };
    g.paths.push(path);
    out.set(key, g);
  }
  return [...out.values()];
}

const cell = (paths: string[]): string => paths.map((p) => `\`${p}\``).join(', ');
const why = (s: Support): string => (s.state === 'acted' ? '' : s.why.replaceAll('|', '\\|'));

/** The section, between its markers. */
export function keywordsSection(table: SupportTable = keywordSupport): string {
  const not = groups(table, (s) => s.state === 'not' && s.since === undefined);
  const later = groups(table, (s) => s.state === 'not' && s.since !== undefined);
  const laterActed = groups(table, (s) => s.state === 'acted' && s.since !== undefined);
  const conditional = groups(table, (s) => s.state === 'conditional');
  return [
    SECTION_START,
    'Every keyword below is read and checked as keepalived checks it, and not acted on: `-t` says so at each line that',
    'uses it (an info, which leaves the exit code alone), and the daemon logs the same as a warning at start and on',
    "every reload. Inside a block that is not acted on, only the block's line is reported. Keywords are named by",
    'their path from the top of the file. Every other keyword tskeepalived accepts is acted on.',
    '',
    '| keywords | not acted on: what is missing |',
    '| --- | --- |',
    ...not.map((g) => `| ${cell(g.paths)} | ${why(g.s)} |`),
    '',
    'Keywords of keepalived releases after 2.2.7, read with the argument checks keepalived documents for them and not',
    'acted on; each use also gets a warning, so that `-t` exits 5 as keepalived 2.2.7 does on a keyword it does not know:',
    '',
    '| keywords | keepalived | not acted on: what is missing |',
    '| --- | --- | --- |',
    ...later.map((g) => `| ${cell(g.paths)} | ${g.s.state === 'not' ? g.s.since : ''} | ${why(g.s)} |`),
    '',
    ...laterActed.map((g) => `Acted on, with the same warning: ${cell(g.paths)} (keepalived ${g.s.state === 'acted' ? g.s.since : ''}).`),
    '',
    'Acted on except in one case, which `-t` and the daemon report at the line where it applies:',
    '',
    '| keywords | the case |',
    '| --- | --- |',
    ...conditional.map((g) => `| ${cell(g.paths)} | ${why(g.s)} |`),
    SECTION_END,
  ].join('\n');
}

/** `readme` with its section replaced by `section` (the markers must be there once). */
export function withKeywordsSection(readme: string, section: string = keywordsSection()): string {
  const a = readme.indexOf(SECTION_START);
  const b = readme.indexOf(SECTION_END);
  if (a < 0 || b < a) throw new Error(`README has no section between ${SECTION_START} and ${SECTION_END}`);
  return readme.slice(0, a) + section + readme.slice(b + SECTION_END.length);
}
