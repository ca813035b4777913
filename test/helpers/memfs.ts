/** An in-memory ConfigFs for lexer/parser unit tests: absolute paths -> contents, with glob support. */
import type { ConfigFs } from '../../src/config/lexer.js';

function globToRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '{' && pattern.indexOf('}', i) > i) {
      const end = pattern.indexOf('}', i);
      re +=
        '(' +
        pattern
          .slice(i + 1, end)
          .split(',')
          .map((s) => s.replace(/[.+^$()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
          .join('|') +
        ')';
      i = end;
    } else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp('^' + re + '$');
}

export function memFs(files: Record<string, string>): ConfigFs & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    readFile(file: string) {
      reads.push(file);
      const v = files[file];
      if (v === undefined) {
        const e = new Error(`ENOENT: ${file}`) as NodeJS.ErrnoException;
        e.code = 'ENOENT';
        throw e;
      }
      return v;
    },
    glob(pattern: string) {
      const re = globToRegex(pattern);
      return Object.keys(files)
        .filter((f) => re.test(f))
        .sort();
    },
  };
}
