/** The README's "Keywords not acted on" section is what the support table writes (npm run docs:keywords). */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { keywordsSection, SECTION_END, SECTION_START } from '../../../src/config/keywords/support-docs.js';

describe('README keywords section', () => {
  it('matches the support table word for word (run npm run docs:keywords after changing the table)', () => {
    const readme = fs.readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const a = readme.indexOf(SECTION_START);
    const b = readme.indexOf(SECTION_END);
    expect(a, 'README.md has the section markers').toBeGreaterThanOrEqual(0);
    expect(readme.slice(a, b + SECTION_END.length)).toBe(keywordsSection());
  });
});
