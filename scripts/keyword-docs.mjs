#!/usr/bin/env node
/**
 * Writes the README's "Keywords not acted on" section from the support table (src/config/keywords/support*.ts),
 * through the built dist/ (`npm run docs:keywords` builds first). test/unit/config/keyword-docs.test.ts fails
 * when the README's section differs from what this writes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(new URL('..', import.meta.url).pathname);
const { withKeywordsSection } = await import(path.join(ROOT, 'dist/config/keywords/support-docs.js'));
const file = path.join(ROOT, 'README.md');
const before = fs.readFileSync(file, 'utf8');
const after = withKeywordsSection(before);
if (after === before) console.log('README.md: keywords section already up to date');
else {
  fs.writeFileSync(file, after);
  console.log('README.md: keywords section rewritten');
}
