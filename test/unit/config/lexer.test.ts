import { describe, expect, it } from 'vitest';
import { Diagnostics } from '../../../src/config/diagnostics.js';
import { Lexer } from '../../../src/config/lexer.js';
import { memFs } from '../../helpers/memfs.js';

function lex(files: Record<string, string>, configId: string | null = null, main = '/etc/k/keepalived.conf') {
  const diag = new Diagnostics();
  const lines = new Lexer({ diag, configId, fs: memFs(files), random: () => 0.5 }).read(main);
  return { lines: lines.map((l) => l.tokens.join(' ')), locs: lines.map((l) => `${l.loc.file}:${l.loc.line}`), diag };
}
const one = (text: string, id: string | null = null) => lex({ '/etc/k/keepalived.conf': text }, id);

describe('comments', () => {
  it('strips ! and # comments anywhere outside quotes', () => {
    const r = one('! header\n# header\nrouter_id r1 # trailing\nauth_pass abc!def\nfoo "a # b" ! c\n');
    expect(r.lines).toEqual(['router_id r1', 'auth_pass abc', 'foo a # b']);
  });
  it('keeps escaped comment characters', () => {
    expect(one('auth_pass pa\\#ss\\!word\n').lines).toEqual(['auth_pass pa#ss!word']);
  });
});

describe('words and quotes', () => {
  it('keeps a double-quoted run as one word without the quotes', () => {
    expect(one('notify_master "/usr/bin/x.sh arg 1" root\n').lines).toEqual(['notify_master /usr/bin/x.sh arg 1 root']);
    const { lines } = lex({ '/etc/k/keepalived.conf': 'script "/bin/a b"\n' });
    expect(lines).toHaveLength(1);
  });
  it('reports an unmatched quote with file:line', () => {
    const r = one('\nscript "/bin/true\n');
    expect(r.diag.list.some((d) => /quote/.test(d.message) && d.loc?.line === 2)).toBe(true);
  });
  it('does not treat ; as a separator', () => {
    expect(one('auth_type PASS;\n').lines).toEqual(['auth_type PASS;']);
  });
  it('accepts CRLF line endings and tabs', () => {
    expect(one('a\t1\r\nb 2\r\n').lines).toEqual(['a 1', 'b 2']);
  });
});

describe('braces', () => {
  it('puts braces on lines of their own wherever they are written', () => {
    expect(one('virtual_ipaddress { 192.0.2.1/24 }\n').lines).toEqual(['virtual_ipaddress', '{', '192.0.2.1/24', '}']);
    expect(one('vrrp_instance VI_1\n{\nstate MASTER }\n').lines).toEqual(['vrrp_instance VI_1', '{', 'state MASTER', '}']);
    expect(one('virtual_server 192.0.2.1 80{\n}\n').lines).toEqual(['virtual_server 192.0.2.1 80', '{', '}']);
  });
  it('does not split braces inside quotes', () => {
    expect(one('misc_path "/bin/x {a}"\n').lines).toEqual(['misc_path /bin/x {a}']);
  });
  it('reports an extra } and missing }s', () => {
    expect(one('a {\n}\n}\n').diag.list.map((d) => d.message)).toContain("extra '}' found");
    const r = one('a {\nb {\n');
    expect(r.diag.list.some((d) => d.message.includes("2 missing '}'"))).toBe(true);
  });
});

describe('include', () => {
  it('includes globbed files relative to the including file, in order, with their own file:line', () => {
    const r = lex({
      '/etc/k/keepalived.conf': 'a 1\ninclude conf.d/*.conf\nz 9\n',
      '/etc/k/conf.d/2.conf': 'c 3\n',
      '/etc/k/conf.d/1.conf': '\nb 2\ninclude ../sub/x.conf\n',
      '/etc/k/sub/x.conf': 'x 0\n',
    });
    expect(r.lines).toEqual(['a 1', 'b 2', 'x 0', 'c 3', 'z 9']);
    expect(r.locs[1]).toBe('/etc/k/conf.d/1.conf:2');
    expect(r.locs[2]).toBe('/etc/k/sub/x.conf:1');
  });
  it('expands brace alternatives', () => {
    const r = lex({
      '/etc/k/keepalived.conf': 'include {a,b}.conf\n',
      '/etc/k/a.conf': 'a 1\n',
      '/etc/k/b.conf': 'b 1\n',
    });
    expect(r.lines).toEqual(['a 1', 'b 1']);
  });
  it('a plain include that matches nothing is only information; includer is fatal', () => {
    const r1 = one('include missing/*.conf\n');
    expect(r1.diag.list.map((d) => d.severity)).toEqual(['info']);
    expect(r1.diag.exitCode()).toBe(0);
    const r2 = one('includer missing.conf\n');
    expect(r2.diag.exitCode()).toBe(4);
  });
  it('refuses include loops', () => {
    const r = lex({ '/etc/k/keepalived.conf': 'include a.conf\n', '/etc/k/a.conf': 'x 1\ninclude keepalived.conf\n' });
    expect(r.lines).toEqual(['x 1']);
    expect(r.diag.list.some((d) => /loop/.test(d.message))).toBe(true);
  });
});

describe('parameters', () => {
  it('replaces $NAME before blanks and ${NAME} anywhere; leaves undefined ones', () => {
    const r = one('$IF=eth0\ninterface $IF\nlabel ${IF}:1\nscript "echo $HOME"\n');
    expect(r.lines).toEqual(['interface eth0', 'label eth0:1', 'script echo $HOME']);
  });
  it('replaces recursively at use time', () => {
    const r = one('$BASE=10.2.${SUB}\n$SUB=0\n${BASE}.100/32\n$SUB=10\n${BASE}.100/32\n');
    expect(r.lines).toEqual(['10.2.0.100/32', '10.2.10.100/32']);
  });
  it('expands multi-line definitions into several lines, nested and with conditionals', () => {
    const text = [
      '$RS= \\',
      'real_server 192.0.2.${N} 80 { \\',
      '  weight 1 \\',
      '@main  weight 5 \\',
      '}',
      '$VS= \\',
      'virtual_server 203.0.113.1 80 { \\',
      '  $N=1 \\',
      '  $RS \\',
      '  $N=2 \\',
      '  $RS \\',
      '}',
      '$VS',
    ].join('\n');
    expect(one(text).lines).toEqual([
      'virtual_server 203.0.113.1 80',
      '{',
      'real_server 192.0.2.1 80',
      '{',
      'weight 1',
      '}',
      'real_server 192.0.2.2 80',
      '{',
      'weight 1',
      '}',
      '}',
    ]);
    expect(one(text, 'main').lines.filter((l) => l === 'weight 5')).toHaveLength(2);
  });
  it('has the pre-defined ${_PWD}, ${_INSTANCE}, ${_HASH}, ${_BANG}, ${_RANDOM}', () => {
    const r = one('a ${_PWD} ${_INSTANCE} ${_RANDOM 10 20}\n', 'node1');
    expect(r.lines).toEqual(['a /etc/k node1 15']);
    // As in keepalived, the line is decommented again after substitution: ${_HASH}/${_BANG} start a comment.
    expect(one('a 1 ${_HASH} b\nc 2 ${_BANG} d\n').lines).toEqual(['a 1', 'c 2']);
    expect(one('$OFF=${_HASH}\n$OFF router_id x\nrouter_id y\n').lines).toEqual(['router_id y']);
  });
});

describe('bounds', () => {
  it('stops a self-referencing multi-line parameter with a fatal error instead of running forever', () => {
    const diag = new Diagnostics();
    const text = '$A= \\\n$A \\\n$A\n$A\n';
    const lines = new Lexer({ diag, configId: null, fs: memFs({ '/k.conf': text }), maxLines: 1000, maxWork: 5000 }).read('/k.conf');
    expect(lines.length).toBeLessThanOrEqual(1000);
    expect(diag.list.some((d) => d.severity === 'fatal' && /defined in terms of itself/.test(d.message))).toBe(true);
    // With the default bounds the nesting limit stops it, reported once for the line.
    const d2 = new Diagnostics();
    new Lexer({ diag: d2, configId: null, fs: memFs({ '/k.conf': text }) }).read('/k.conf');
    expect(d2.list.filter((d) => /nested more than 16 deep/.test(d.message))).toHaveLength(1);
  });
});

describe('conditional lines', () => {
  it('keeps @id lines only for that config-id and @^id lines for the others', () => {
    const text = '@main router_id main_router\n@backup router_id backup_router\n@^main peer 1\n@^backup peer 2\n';
    expect(one(text, 'main').lines).toEqual(['router_id main_router', 'peer 2']);
    expect(one(text, 'backup').lines).toEqual(['router_id backup_router', 'peer 1']);
    expect(one(text, null).lines).toEqual(['peer 1', 'peer 2']);
  });
  it('works through parameters', () => {
    expect(one('$IF_MAIN=@main\n$IF_MAIN priority 240\n', 'main').lines).toEqual(['priority 240']);
    expect(one('$IF_MAIN=@main\n$IF_MAIN priority 240\n', 'other').lines).toEqual([]);
  });
});

describe('~SEQ and ~LST', () => {
  it('repeats a line over a sequence', () => {
    expect(one('~SEQ(S, 0, 3) ip 10.0.${S}.1\n').lines).toEqual(['ip 10.0.0.1', 'ip 10.0.1.1', 'ip 10.0.2.1', 'ip 10.0.3.1']);
    expect(one('~SEQ(S, 3) n ${S}\n').lines).toEqual(['n 1', 'n 2', 'n 3']);
    expect(one('~SEQx(S, 0x90, 0x10, 0xc0) fe80::${S}:1\n').lines).toEqual(['fe80::90:1', 'fe80::a0:1', 'fe80::b0:1', 'fe80::c0:1']);
    expect(one('~SEQ(S, 3, -1, 1) n ${S}\n').lines).toEqual(['n 3', 'n 2', 'n 1']);
  });
  it('repeats a line over lists, several variables at once, nested with ~SEQ', () => {
    expect(one('~LST({A,B},{10,1},{20,4}) 192.168.${A}.${B}\n').lines).toEqual(['192.168.10.1', '192.168.20.4']);
    expect(one('~LST(A, 1, 2) ~LST(B, 5,6) ${A}.${B}\n').lines).toEqual(['1.5', '1.6', '2.5', '2.6']);
    expect(one('~LST(A, 1, 2) ~SEQ(B,7,8) ${A}.${B}\n').lines).toEqual(['1.7', '1.8', '2.7', '2.8']);
  });
  it('expands parameters inside the specification', () => {
    expect(one('$S=2\n$E=3\n~SEQ(I,$S,$E) n ${I}\n').lines).toEqual(['n 2', 'n 3']);
  });
  it('reports a malformed specification', () => {
    const r = one('~SEQ(1bad, 3) x\n');
    expect(r.lines).toEqual([]);
    expect(r.diag.list[0]!.loc!.line).toBe(1);
  });
});

describe('line continuation', () => {
  it('joins a line ending in a backslash with the next', () => {
    expect(one('notify_master /bin/x \\\n   arg\n').lines).toEqual(['notify_master /bin/x arg']);
  });
});

describe('fast path', () => {
  // Ordinary lines skip decomment/splitBraces/tokenize (lexer.ts fastLine); they must come out exactly as
  // the full treatment makes them: same words, same file:line, same diagnostics, on any mix of lines.
  const pieces = [
    'a',
    'bb',
    'real_server',
    '192.0.2.1',
    ' ',
    '  ',
    '\t',
    '{',
    '}',
    '! c',
    '# c',
    '"',
    '"q w"',
    '$X',
    '$X=1',
    '\\',
    '@h',
    '@^h',
    '~SEQ(i,1,2) s $i',
    'include /inc.conf',
    'includex',
    '\r',
    '\v',
    'é',
    '\u00a0',
    '\n',
    '\n',
    '\n',
  ];
  const lexBoth = (text: string) =>
    [true, false].map((fastPath) => {
      const diag = new Diagnostics();
      const files = { '/k.conf': text, '/inc.conf': 'inc { x }\n' };
      const lines = new Lexer({ diag, configId: 'h', fs: memFs(files), random: () => 0.5, fastPath }).read('/k.conf');
      return { lines: lines.map((l) => [l.tokens, l.loc.file, l.loc.line]), diag: diag.list };
    });

  it('gives what the full treatment gives', async () => {
    const fc = (await import('fast-check')).default;
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 40 }), (parts) => {
        const [fast, full] = lexBoth(parts.join(''));
        expect(fast).toEqual(full);
      }),
      { numRuns: 3000 },
    );
  });

  it('covers a whole configuration file', () => {
    const text = 'global_defs {\r\n  router_id r1 ! comment\r\n}\nvirtual_server 192.0.2.1 80 {\n  real_server 192.0.2.2 80 { weight 1 }\n}\n}\n{\n';
    const [fast, full] = lexBoth(text);
    expect(fast).toEqual(full);
    expect(fast!.lines.map((l) => (l[0] as string[]).join(' '))).toEqual([
      'global_defs',
      '{',
      'router_id r1',
      '}',
      'virtual_server 192.0.2.1 80',
      '{',
      'real_server 192.0.2.2 80',
      '{',
      'weight 1',
      '}',
      '}',
      '}',
      '{',
    ]);
    expect(fast!.diag.map((d) => `${d.loc?.line}: ${d.message}`)).toEqual(["7: extra '}' found", "8: there are 1 missing '}'s or extra '{'s"]);
  });
});
