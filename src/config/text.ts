/**
 * Config layer, pure: the character-level rules of keepalived.conf lines.
 *
 * - decomment(): `!` and `#` start a comment anywhere outside double quotes unless escaped with `\`;
 *   a `\` at the very end of a line marks a continuation (used by multi-line `$NAME=` definitions).
 * - splitBraces(): `{` and `}` outside quotes always stand on a logical line of their own, so
 *   `virtual_ipaddress { 192.0.2.1/24 }` reads as three lines, the way keepalived's read_line() does.
 * - tokenize(): words split on blanks; a double-quoted run is one word without its quotes.
 * - splitCommand(): the words of a script command line (shell-like single/double quotes and escapes),
 *   used for notify/track/misc scripts.
 */

export interface Decommented {
  text: string;
  /** The line ended in a bare `\`: it continues on the next line. */
  continued: boolean;
  /** An opening `"` had no closing one. */
  unterminatedQuote: boolean;
}

export function decomment(raw: string): Decommented {
  let out = '';
  let quote = false;
  let continued = false;
  let i = 0;
  const s = raw.replace(/^[ \t]+/, '');
  for (; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') {
      quote = !quote;
      out += c;
      continue;
    }
    if (c === '\\') {
      if (i + 1 >= s.length) {
        continued = true;
        break;
      }
      const n = s[i + 1]!;
      if (!quote && (n === '#' || n === '!')) {
        out += n; // escaped comment character stands for itself
      } else {
        out += c + n;
      }
      i++;
      continue;
    }
    if (!quote && (c === '!' || c === '#')) break;
    out += c;
  }
  return { text: out.replace(/[ \t]+$/, ''), continued, unterminatedQuote: quote };
}

/** Split a processed line so that each `{` / `}` outside double quotes is a line of its own. */
export function splitBraces(line: string): string[] {
  const parts: string[] = [];
  let rest = line.trim();
  while (rest.length > 0) {
    let i = 0;
    let quote = false;
    for (; i < rest.length; i++) {
      const c = rest[i]!;
      if (c === '"') quote = !quote;
      else if (!quote && (c === '{' || c === '}')) break;
    }
    if (i >= rest.length) {
      parts.push(rest);
      break;
    }
    if (i === 0) {
      parts.push(rest[0]!);
      rest = rest.slice(1).trim();
    } else {
      parts.push(rest.slice(0, i).trim());
      rest = rest.slice(i).trim();
    }
  }
  return parts;
}

export interface Tokenized {
  tokens: string[];
  unmatchedQuote: boolean;
}

/** keepalived's word splitting: blanks separate words, `"..."` is one word without the quotes. */
export function tokenize(line: string): Tokenized {
  const tokens: string[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
    if (i >= n) break;
    if (line[i] === '"') {
      const end = line.indexOf('"', i + 1);
      if (end < 0) return { tokens, unmatchedQuote: true };
      tokens.push(line.slice(i + 1, end));
      i = end + 1;
    } else {
      const start = i;
      while (i < n && line[i] !== ' ' && line[i] !== '\t' && line[i] !== '"') i++;
      tokens.push(line.slice(start, i));
    }
  }
  return { tokens, unmatchedQuote: false };
}

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/**
 * Split a script command into argv: blanks separate words, '...' and "..." group, and the escapes
 * the man page lists (\n \t \xHH \nnn \cC, and \C for any other C) are honoured.
 */
export function splitCommand(cmd: string): string[] {
  const argv: string[] = [];
  let cur = '';
  let have = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i]!;
    if (quote) {
      if (c === quote) {
        quote = null;
        continue;
      }
      if (c === '\\' && quote === '"' && i + 1 < cmd.length) {
        const r = readEscape(cmd, i + 1);
        cur += r.value;
        i = r.next - 1;
        continue;
      }
      cur += c;
      continue;
    }
    if (c === ' ' || c === '\t') {
      if (have) argv.push(cur);
      cur = '';
      have = false;
      continue;
    }
    have = true;
    if (c === '"' || c === "'") {
      quote = c;
      continue;
    }
    if (c === '\\' && i + 1 < cmd.length) {
      const r = readEscape(cmd, i + 1);
      cur += r.value;
      i = r.next - 1;
      continue;
    }
    cur += c;
  }
  if (have) argv.push(cur);
  return argv;
}

function readEscape(s: string, i: number): { value: string; next: number } {
  const c = s[i]!;
  if (ESCAPES[c] !== undefined) return { value: ESCAPES[c]!, next: i + 1 };
  if (c === 'x') {
    const m = /^[0-9a-fA-F]+/.exec(s.slice(i + 1));
    if (m) return { value: String.fromCharCode(parseInt(m[0], 16) & 0xff), next: i + 1 + m[0].length };
  }
  if (c >= '0' && c <= '7') {
    const m = /^[0-7]{1,3}/.exec(s.slice(i))!;
    return { value: String.fromCharCode(parseInt(m[0], 8) & 0xff), next: i + m[0].length };
  }
  if (c === 'c' && i + 1 < s.length) return { value: String.fromCharCode(s.charCodeAt(i + 1) & 0x1f), next: i + 2 };
  return { value: c, next: i + 1 };
}
