/**
 * Random edits of a keepalived.conf, as an operator makes them between two reloads (and some an operator
 * should not make): for the property test of reload.ts. An edit works on the lines of one file and says
 * what it did; it returns null when the file has nothing it applies to.
 */

export type Edit = (lines: string[], rnd: () => number) => { lines: string[]; what: string } | null;

const pick = <T>(xs: readonly T[], rnd: () => number): T | undefined => (xs.length ? xs[Math.floor(rnd() * xs.length)] : undefined);

function matching(lines: string[], re: RegExp): number[] {
  const out: number[] = [];
  lines.forEach((l, i) => {
    if (re.test(l)) out.push(i);
  });
  return out;
}

/** Braces of a line outside its comment. */
function braces(line: string): number {
  let d = 0;
  for (const c of line.replace(/[#!].*$/, '')) d += c === '{' ? 1 : c === '}' ? -1 : 0;
  return d;
}

/** The line closing the block opened at line i (or on the line after it), or the last line. */
function blockEnd(lines: string[], i: number): number {
  let d = 0;
  let opened = false;
  for (let k = i; k < lines.length; k++) {
    d += braces(lines[k]!);
    if (d > 0) opened = true;
    if (opened && d <= 0) return k;
  }
  return lines.length - 1;
}

/** Lines starting a top-level block (at brace depth 0, with a word). */
function topLevel(lines: string[]): number[] {
  const out: number[] = [];
  let d = 0;
  lines.forEach((l, i) => {
    if (d <= 0 && /^\s*[A-Za-z_]/.test(l)) out.push(i);
    d += braces(l);
  });
  return out;
}

const splice = (lines: string[], at: number, del: number, ...add: string[]) => {
  const out = lines.slice();
  out.splice(at, del, ...add);
  return out;
};

const VS_LINES = [
  '  delay_loop 9',
  '  persistence_timeout 50',
  '  quorum 2',
  '  hysteresis 1',
  '  ha_suspend',
  '  alpha',
  '  sorry_server 192.0.2.250 80',
  '  sorry_server_inhibit',
  '  virtualhost example.com',
  '  lb_kind DR',
  '  lb_kind TUN',
  '  protocol UDP',
  '  lvs_sched sh',
  '  sh-port',
  '  smtp_alert',
  '  retry 4',
  '  ip_family inet6',
  '  persistence_granularity 255.255.255.0',
];

const newRs = (rnd: () => number) => [
  `  real_server 203.0.113.${1 + Math.floor(rnd() * 250)} ${pick(['80', '443', '0', '8080'], rnd)} {`,
  `    weight ${Math.floor(rnd() * 10)}`,
  '    TCP_CHECK {',
  '      connect_timeout 2',
  '    }',
  '  }',
];

const newVs = (rnd: () => number) => [
  `virtual_server 198.51.100.${1 + Math.floor(rnd() * 250)} ${1 + Math.floor(rnd() * 65535)} {`,
  '  lb_algo rr',
  '  lb_kind NAT',
  '  protocol TCP',
  ...newRs(rnd),
  '}',
];

export const EDITS: Record<string, Edit> = {
  weight(lines, rnd) {
    const i = pick(matching(lines, /^\s*weight\s+\d+\s*$/), rnd);
    if (i === undefined) return null;
    const w = Math.floor(rnd() * 100);
    return { lines: splice(lines, i, 1, lines[i]!.replace(/\d+/, String(w))), what: `weight at line ${i + 1} -> ${w}` };
  },
  addRealServer(lines, rnd) {
    const i = pick(matching(lines, /^\s*real_server\b/), rnd);
    if (i === undefined) return null;
    return { lines: splice(lines, i, 0, ...newRs(rnd)), what: `real_server added above line ${i + 1}` };
  },
  removeRealServer(lines, rnd) {
    const i = pick(matching(lines, /^\s*real_server\b/), rnd);
    if (i === undefined) return null;
    const e = blockEnd(lines, i);
    return { lines: splice(lines, i, e - i + 1), what: `real_server at lines ${i + 1}-${e + 1} removed` };
  },
  addLineInBlock(lines, rnd) {
    const i = pick(matching(lines, /^\s*virtual_server\b/), rnd);
    if (i === undefined) return null;
    const l = pick(VS_LINES, rnd)!;
    return { lines: splice(lines, i + 1, 0, l), what: `'${l}' added below line ${i + 1}` };
  },
  removeLineInBlock(lines, rnd) {
    const i = pick(matching(lines, /^\s*virtual_server\b/), rnd);
    if (i === undefined) return null;
    const e = blockEnd(lines, i);
    if (e - i < 2) return null;
    const k = i + 1 + Math.floor(rnd() * (e - i - 1));
    return { lines: splice(lines, k, 1), what: `line ${k + 1} ('${lines[k]}') removed` };
  },
  commentAbove(lines, rnd) {
    const i = pick(topLevel(lines), rnd);
    if (i === undefined) return null;
    const c = pick(['# a comment', '! another', '', '   ', '#{ braces in a comment }'], rnd)!;
    return { lines: splice(lines, i, 0, c), what: `'${c}' added above line ${i + 1}` };
  },
  blankLines(lines, rnd) {
    const i = Math.floor(rnd() * (lines.length + 1));
    const n = 1 + Math.floor(rnd() * 3);
    return { lines: splice(lines, i, 0, ...Array<string>(n).fill('')), what: `${n} blank lines at line ${i + 1}` };
  },
  touchGlobalDefs(lines, rnd) {
    const i = lines.findIndex((l) => /^\s*global_defs\b/.test(l));
    const l = pick(['  router_id edited', '  smtp_alert', '  lvs_timeouts tcp 900', '  enable_script_security'], rnd)!;
    if (i < 0) return { lines: ['global_defs {', l, '}', ...lines], what: `global_defs with '${l}' added on top` };
    return { lines: splice(lines, i + 1, 0, l), what: `'${l}' added to global_defs` };
  },
  error(lines, rnd) {
    const vs = pick(matching(lines, /^\s*virtual_server\b/), rnd);
    const rs = pick(matching(lines, /^\s*real_server\b/), rnd);
    const options: Array<() => { lines: string[]; what: string } | null> = [
      () => (vs === undefined ? null : { lines: splice(lines, vs + 1, 0, '  nonsense_keyword 3'), what: `unknown keyword below line ${vs + 1}` }),
      () => (rs === undefined ? null : { lines: splice(lines, rs + 1, 0, '    weight -1'), what: `bad weight below line ${rs + 1}` }),
      () => (vs === undefined ? null : { lines: splice(lines, vs + 1, 0, '  lb_algo bogus'), what: `bad scheduler below line ${vs + 1}` }),
      () => (vs === undefined ? null : { lines: splice(lines, vs + 1, 0, '  weight'), what: `parameter missing below line ${vs + 1} (stops the parse)` }),
      () =>
        vs === undefined ? null : { lines: splice(lines, vs + 1, 0, '  real_server 203.0.113.300 80 {', '  }'), what: `bad real server below line ${vs + 1}` },
      () => (vs === undefined ? null : { lines: splice(lines, vs + 1, 0, '  virtualhost "unterminated'), what: `unterminated quote below line ${vs + 1}` }),
      () => (vs === undefined ? null : { lines: splice(lines, vs + 1, 0, '  {'), what: `stray brace below line ${vs + 1}` }),
    ];
    return pick(options, rnd)!();
  },
  breakBraces(lines, rnd) {
    const i = pick(matching(lines, /^\s*[{}]\s*$|\{\s*$/), rnd);
    if (i === undefined) return null;
    return { lines: splice(lines, i, 1, lines[i]!.replace(/[{}]/, '')), what: `a brace removed at line ${i + 1}` };
  },
  variable(lines, rnd) {
    const i = pick(matching(lines, /^\s*weight\s+\d+\s*$/), rnd);
    if (i === undefined) return null;
    const out = splice(lines, i, 1, lines[i]!.replace(/\d+/, '$W'));
    return { lines: rnd() < 0.5 ? ['$W=7', ...out] : out, what: `weight at line ${i + 1} -> $W` };
  },
  conditional(lines, rnd) {
    const i = pick(matching(lines, /^\s*(weight|delay_loop|lb_algo)\b/), rnd);
    if (i === undefined) return null;
    const id = pick(['@lb1', '@^lb1', '@lb2'], rnd)!;
    return { lines: splice(lines, i, 1, `${id} ${lines[i]!.trim()}`), what: `${id} on line ${i + 1}` };
  },
  sequence(lines, rnd) {
    const i = pick(matching(lines, /^\s*virtual_server\b/), rnd);
    if (i === undefined) return null;
    return { lines: splice(lines, i + 1, 0, '~SEQ(n,1,2) virtualhost h$n'), what: `~SEQ below line ${i + 1}` };
  },
  duplicateBlock(lines, rnd) {
    const i = pick(matching(lines, /^\s*virtual_server\b/), rnd);
    if (i === undefined) return null;
    const e = blockEnd(lines, i);
    return { lines: splice(lines, e + 1, 0, ...lines.slice(i, e + 1)), what: `block at lines ${i + 1}-${e + 1} duplicated` };
  },
  newBlock(lines, rnd) {
    const tops = topLevel(lines);
    const i = rnd() < 0.3 ? lines.length : (pick(tops, rnd) ?? lines.length);
    return { lines: splice(lines, i, 0, ...newVs(rnd)), what: `new virtual_server at line ${i + 1}` };
  },
  removeBlock(lines, rnd) {
    const i = pick(matching(lines, /^\s*virtual_server\b/), rnd);
    if (i === undefined) return null;
    const e = blockEnd(lines, i);
    return { lines: splice(lines, i, e - i + 1), what: `block at lines ${i + 1}-${e + 1} removed` };
  },
  swapBlocks(lines, rnd) {
    const vss = matching(lines, /^\s*virtual_server\b/);
    if (vss.length < 2) return null;
    const k = Math.floor(rnd() * (vss.length - 1));
    const a = vss[k]!;
    const ae = blockEnd(lines, a);
    const b = vss[k + 1]!;
    if (b <= ae) return null;
    const be = blockEnd(lines, b);
    const out = [...lines.slice(0, a), ...lines.slice(b, be + 1), ...lines.slice(ae + 1, b), ...lines.slice(a, ae + 1), ...lines.slice(be + 1)];
    return { lines: out, what: `blocks at lines ${a + 1} and ${b + 1} swapped` };
  },
  scripts(lines, rnd) {
    const rs = pick(matching(lines, /^\s*real_server\b.*\{\s*$/), rnd);
    const vs = pick(matching(lines, /^\s*virtual_server\b.*\{\s*$/), rnd);
    if (rnd() < 0.5 && rs !== undefined)
      return {
        lines: splice(lines, rs + 1, 0, '    MISC_CHECK {', `      misc_path "${pick(['/bin/true', '/bin/missing'], rnd)} x"`, '    }'),
        what: `MISC_CHECK below line ${rs + 1}`,
      };
    if (vs === undefined) return null;
    return { lines: splice(lines, vs + 1, 0, `  quorum_up "${pick(['/bin/echo up', '/bin/missing'], rnd)}"`), what: `quorum_up below line ${vs + 1}` };
  },
  group(lines, rnd) {
    const vs = pick(matching(lines, /^\s*virtual_server\s+\S+\s+\d+\s*\{\s*$/), rnd);
    if (vs === undefined) return null;
    const name = pick(['G1', 'G2'], rnd)!;
    return {
      lines: [`virtual_server_group ${name} {`, '  198.51.100.200 80', '}', ...splice(lines, vs, 1, `virtual_server group ${name} {`)],
      what: `virtual_server at line ${vs + 1} made a member of group ${name}`,
    };
  },
  vrrpEdit(lines, rnd) {
    const i = pick(matching(lines, /^\s*priority\s+\d+\s*$/), rnd);
    if (i === undefined) return null;
    return { lines: splice(lines, i, 1, lines[i]!.replace(/\d+/, String(1 + Math.floor(rnd() * 254)))), what: `priority at line ${i + 1}` };
  },
  deleteLine(lines, rnd) {
    if (lines.length === 0) return null;
    const i = Math.floor(rnd() * lines.length);
    return { lines: splice(lines, i, 1), what: `line ${i + 1} ('${lines[i]}') removed` };
  },
  continuation(lines, rnd) {
    const i = pick(matching(lines, /^\s*(weight|delay_loop)\b/), rnd);
    if (i === undefined) return null;
    return { lines: splice(lines, i, 1, `${lines[i]} \\`), what: `line ${i + 1} continued` };
  },
  crlf(lines, rnd) {
    const i = pick(matching(lines, /^\s*virtual_server\b/), rnd);
    if (i === undefined) return null;
    const e = blockEnd(lines, i);
    return { lines: [...lines.slice(0, i), ...lines.slice(i, e + 1).map((l) => l + '\r'), ...lines.slice(e + 1)], what: `CRLF in lines ${i + 1}-${e + 1}` };
  },
};
