/**
 * Config layer, pure: `$NAME=value` parameters and their expansion.
 *
 * A definition's value may span several lines (multi-line definitions); it is kept as a list of lines
 * and an expansion that uses it produces several lines. `$NAME` is replaced when followed by a blank
 * or the end of the line, `${NAME}` anywhere. Undefined names are left untouched (so `$` in scripts
 * survives). Pre-defined: ${_PWD}, ${_INSTANCE}, ${_RANDOM [MIN [MAX]]}, ${_HASH}, ${_BANG}.
 */

export const LINE_BREAK = '\n';

export interface ParamEnv {
  /** Directory of the file being read, for ${_PWD}. */
  pwd: string;
  /** config-id (-i), for ${_INSTANCE}. */
  instance: string;
  /** Random integer source for ${_RANDOM}; injected so tests are deterministic. */
  random: () => number;
}

export class Params {
  /** UNBOUNDED: one entry per distinct parameter name in the configuration. */
  private readonly defs = new Map<string, string>();

  get size(): number {
    return this.defs.size;
  }

  /** Define or redefine NAME; `lines` joined by LINE_BREAK for multi-line values. */
  set(name: string, lines: string[]): void {
    this.defs.set(name, lines.join(LINE_BREAK));
  }

  has(name: string): boolean {
    return this.defs.has(name);
  }

  private lookup(spec: string, env: ParamEnv): string | undefined {
    const [name, ...args] = spec.trim().split(/[ \t]+/);
    if (!name) return undefined;
    if (this.defs.has(name)) return this.defs.get(name);
    switch (name) {
      case '_PWD':
        return env.pwd;
      case '_INSTANCE':
        return env.instance;
      case '_HASH':
        return '#';
      case '_BANG':
        return '!';
      case '_RANDOM': {
        const min = args[0] !== undefined ? Number.parseInt(args[0], 10) : 0;
        const max = args[1] !== undefined ? Number.parseInt(args[1], 10) : 32767;
        if (!Number.isFinite(min) || !Number.isFinite(max) || max < min) return undefined;
        return String(min + Math.floor(env.random() * (max - min + 1)));
      }
      default:
        return undefined;
    }
  }

  /**
   * One pass of replacement over `text`. Returns the new text (which may contain LINE_BREAK for
   * multi-line values) and whether anything was replaced.
   */
  replaceOnce(text: string, env: ParamEnv): { text: string; changed: boolean } {
    let out = '';
    let changed = false;
    let i = 0;
    while (i < text.length) {
      const dollar = text.indexOf('$', i);
      if (dollar < 0) {
        out += text.slice(i);
        break;
      }
      out += text.slice(i, dollar);
      if (text[dollar + 1] === '{') {
        const close = text.indexOf('}', dollar + 2);
        if (close > 0) {
          const v = this.lookup(text.slice(dollar + 2, close), env);
          if (v !== undefined) {
            out += v;
            changed = true;
            i = close + 1;
            continue;
          }
        }
        out += '$';
        i = dollar + 1;
        continue;
      }
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(dollar + 1));
      if (m) {
        const after = text[dollar + 1 + m[0].length];
        if (after === undefined || after === ' ' || after === '\t') {
          const v = this.lookup(m[0], env);
          if (v !== undefined) {
            out += v;
            changed = true;
            i = dollar + 1 + m[0].length;
            continue;
          }
        }
      }
      out += '$';
      i = dollar + 1;
    }
    return { text: out, changed };
  }
}

/** `$NAME=value` (only blanks before `$`, optional blanks before `=`). Returns null if not a definition. */
export function parseDefinition(line: string): { name: string; value: string } | null {
  const m = /^\$([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(.*)$/.exec(line);
  if (!m) return null;
  return { name: m[1]!, value: m[2]! };
}

export interface SeqSpec {
  /** Variable names set together for each iteration (one for ~SEQ, one or more for ~LST). */
  vars: string[];
  /** Values per iteration. */
  values: string[][];
  /** The rest of the line after the closing parenthesis. */
  rest: string;
}

/**
 * Parse a leading `~SEQ(var, [start,] [step,] end)`, `~SEQx(...)` or `~LST(var|{a,b}, v1|{x,y}, ...)`.
 * Returns an error string when the specification is malformed.
 */
export function parseSequence(line: string, maxIterations: number): SeqSpec | string {
  const m = /^~(SEQx?|LST)\(/.exec(line);
  if (!m) return 'not a sequence';
  let depth = 0;
  let close = -1;
  for (let i = m[0].length - 1; i < line.length; i++) {
    if (line[i] === '(') depth++;
    else if (line[i] === ')' && --depth === 0) {
      close = i;
      break;
    }
  }
  if (close < 0) return `missing ')' in '${line}'`;
  const inner = line.slice(m[0].length, close);
  const rest = line.slice(close + 1).trim();
  if (m[1] === 'LST') return parseList(inner, rest);
  const hex = m[1] === 'SEQx';
  const parts = inner.split(',').map((s) => s.trim());
  const v = parts[0];
  if (!v || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) return `invalid variable name '${v ?? ''}'`;
  const nums = parts.slice(1).map(parseSeqNumber);
  if (nums.length < 1 || nums.length > 3 || nums.some((n) => n === null)) return `invalid numbers in '${inner}'`;
  const ns = nums as number[];
  let start: number;
  let step: number;
  let end: number;
  if (ns.length === 1) {
    end = ns[0]!;
    start = end >= 0 ? 1 : -1;
    step = end >= start ? 1 : -1;
  } else if (ns.length === 2) {
    start = ns[0]!;
    end = ns[1]!;
    step = end >= start ? 1 : -1;
  } else {
    start = ns[0]!;
    step = ns[1]!;
    end = ns[2]!;
  }
  if (step === 0) return 'step must not be 0';
  const values: string[][] = [];
  for (let x = start; step > 0 ? x <= end : x >= end; x += step) {
    if (values.length >= maxIterations) return `more than ${maxIterations} iterations`;
    values.push([hex ? x.toString(16) : String(x)]);
  }
  return { vars: [v], values, rest };
}

function parseSeqNumber(s: string): number | null {
  if (/^-?0x[0-9a-fA-F]+$/.test(s)) return Number.parseInt(s, 16);
  if (/^-?[0-9]+$/.test(s)) return Number.parseInt(s, 10);
  return null;
}

function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '{') depth++;
    if (c === '}') depth--;
    if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

function unbrace(s: string): string[] {
  const t = s.trim();
  if (t.startsWith('{') && t.endsWith('}'))
    return t
      .slice(1, -1)
      .split(',')
      .map((x) => x.trim());
  return [t];
}

function parseList(inner: string, rest: string): SeqSpec | string {
  const parts = splitTopLevel(inner);
  if (parts.length < 2) return 'a list needs a variable and at least one value';
  const vars = unbrace(parts[0]!);
  if (vars.some((v) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v))) return `invalid variable name in '${parts[0]}'`;
  const values = parts.slice(1).map(unbrace);
  if (values.some((v) => v.length !== vars.length)) return `each value set needs ${vars.length} value(s)`;
  return { vars, values, rest };
}
