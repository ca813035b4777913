/**
 * reload.ts: a reload that parses again only the virtual_server blocks that changed gives exactly what a
 * full load gives (the model with its file:line and written-field records, the diagnostics in order, the
 * exit code, the line count), never changes the last result, and does take the fast path when it should.
 *
 * The property test starts from several files (bench/gen-config.js, conf/*.conf, the shared corpus when
 * present, a file with includes), makes chains of random edits (reload-edits.ts) and compares each reload
 * with a full load of the same text.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, loadWatched, permissiveEnv, type LoadOptions, type LoadResult, type SystemEnv } from '../../../src/config/index.js';
import { WRITTEN } from '../../../src/config/keywords/lvs-util.js';
import { nodeFs } from '../../../src/config/lexer.js';
import { reloadConfig, type Reloaded } from '../../../src/config/reload.js';
import { memFs } from '../../helpers/memfs.js';
import { EDITS } from './reload-edits.js';
import { rng as seeded } from '../../helpers/rng.js';

const MAIN = '/etc/keepalived/keepalived.conf';
const CONFD = '/etc/keepalived/conf.d';
const CORPUS = path.resolve(__dirname, '../../../../shared/corpus');
const GEN = '../../../bench/gen-config.js';
const { genConfig } = (await import(GEN)) as { genConfig: (vs?: number, rs?: number) => string };

/** Every script exists but /bin/missing. */
const ENV: SystemEnv = {
  ...permissiveEnv,
  findScript: (argv0) => (argv0 === '/bin/missing' ? { status: 'notfound', reason: `cannot find script ${argv0}` } : permissiveEnv.findScript(argv0)),
};

const optsFor = (files: Record<string, string>): LoadOptions => ({ env: ENV, fs: memFs(files), configId: 'lb1', random: () => 0.5 });

/** A load as one string: the model (written-field records included), the diagnostics, the exit code, the lines. */
function snapshot(r: LoadResult): string {
  return JSON.stringify({ config: r.config, diags: r.diagnostics.list, exit: r.exitCode, lines: r.lines }, (_k, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const w = (v as { [WRITTEN]?: unknown })[WRITTEN];
    return w === undefined ? v : { ...v, '(written)': w };
  });
}

/** Fails with the first difference of two snapshots and what led to them. */
function same(got: string, want: string, what: string): void {
  if (got === want) return;
  let i = 0;
  while (got[i] === want[i]) i++;
  const around = (s: string) => s.slice(Math.max(0, i - 300), i + 200);
  expect.fail(`${what}\n  reload: ...${around(got)}\n  full:   ...${around(want)}`);
}

interface Base {
  name: string;
  files: Record<string, string>;
}

/** Some real servers' TCP_CHECK made a MISC_CHECK, some with a notify_up, some missing (validation drops those). */
function withScripts(text: string): string {
  let n = 0;
  return text.replace(/ {4}TCP_CHECK \{\n {6}connect_timeout 3\n {4}\}/g, (m) => {
    n++;
    if (n % 3 === 0) return m;
    const script = n % 4 === 1 ? '/bin/missing' : '/bin/true';
    const check = `    MISC_CHECK {\n      misc_path "${script} ${n}"\n    }`;
    return n % 5 === 2 ? `    notify_up "/bin/missing up"\n${check}` : check;
  });
}

function bases(): Base[] {
  const out: Base[] = [
    { name: 'gen 4x3', files: { [MAIN]: genConfig(4, 3) } },
    { name: 'gen 12x2', files: { [MAIN]: genConfig(12, 2) } },
    { name: 'gen scripts', files: { [MAIN]: withScripts(genConfig(8, 3)) } },
    {
      name: 'includes',
      files: {
        [MAIN]: `global_defs {\n  router_id inc\n}\n\ninclude ${CONFD}/*.conf\n\n${genConfig(2, 2).split('\n').slice(4).join('\n')}`,
        [`${CONFD}/a.conf`]: genConfig(3, 2).split('\n').slice(4).join('\n'),
        [`${CONFD}/b.conf`]: `# b\n${genConfig(2, 3).split('\n').slice(4).join('\n').replaceAll('198.51.100.10', '198.51.100.11')}`,
      },
    },
  ];
  const confDir = path.resolve(__dirname, '../../../conf');
  for (const f of fs
    .readdirSync(confDir)
    .filter((f) => f.endsWith('.conf'))
    .sort())
    out.push({ name: `conf/${f}`, files: { [MAIN]: fs.readFileSync(path.join(confDir, f), 'utf8') } });
  if (fs.existsSync(CORPUS)) {
    for (const f of fs
      .readdirSync(CORPUS)
      .filter((f) => f.endsWith('.conf'))
      .sort())
      out.push({ name: `corpus/${f}`, files: { [MAIN]: fs.readFileSync(path.join(CORPUS, f), 'utf8') } });
  } else console.log(`reload.test.ts: ${CORPUS} is absent - the property test runs without the shared corpus`);
  return out;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** How the property test's reloads went: on the fast path, or the whole file and why (printed at the end). */
const tally = { fast: 0, reparsed: 0, full: new Map<string, number>() };

afterAll(() => {
  const why = [...tally.full].sort((a, b) => b[1] - a[1]).slice(0, 8);
  console.log(
    `reload.test.ts: ${tally.fast} reloads on the fast path (${tally.reparsed} blocks parsed again), ${[...tally.full.values()].reduce((a, b) => a + b, 0)} full: ${why.map(([w, n]) => `${n} ${w}`).join('; ')}`,
  );
});

describe('reloadConfig gives what loadConfig gives', () => {
  const all = bases();
  const STEPS = 3;

  it.each(all.map((b) => [b.name, b] as const))('%s, after random edits', (_name, base) => {
    let fast = 0;
    // The generated files and the one with includes are where the fast path runs most: more rounds there.
    // RELOAD_TEST_ROUNDS=N runs N rounds on every file, to look for rare cases.
    const many = process.env.RELOAD_TEST_ROUNDS;
    const rounds = many !== undefined ? Number(many) : base.name.startsWith('conf/') || base.name.startsWith('corpus/') ? 4 : 30;
    for (let round = 0; round < rounds; round++) {
      const rnd = seeded(hash(`${base.name}#${round}`));
      const files = { ...base.files };
      let prev: Reloaded = reloadConfig(undefined, MAIN, optsFor(files));
      expect(prev.reparsed).toBe('all');
      same(snapshot(prev.result), snapshot(loadConfig(MAIN, optsFor(files))), `${base.name}: first load`);
      const first = prev;
      const done: string[] = [];
      for (let step = 0; step < STEPS; step++) {
        // One edit, sometimes two (in the same file or in two files) between two reloads.
        let edited = false;
        for (let n = rnd() < 0.3 ? 2 : 1; n > 0; n--) {
          const names = Object.keys(files);
          const file = names[Math.floor(rnd() * names.length)]!;
          const kinds = Object.keys(EDITS);
          const kind = kinds[Math.floor(rnd() * kinds.length)]!;
          const e = EDITS[kind]!(files[file]!.split('\n'), rnd);
          if (!e) continue;
          files[file] = e.lines.join('\n');
          done.push(`${kind} in ${file}: ${e.what}`);
          edited = true;
        }
        if (!edited) continue;
        const what = `${base.name}, round ${round}: ${done.join('; ')}`;
        const before = snapshot(prev.result);
        const r = reloadConfig(prev.memo, MAIN, optsFor(files));
        same(snapshot(r.result), snapshot(loadConfig(MAIN, optsFor(files))), `${what} (reparsed ${r.reparsed}${r.fullBecause ? `: ${r.fullBecause}` : ''})`);
        same(snapshot(prev.result), before, `${what}: the last result changed`);
        if (r.reparsed !== 'all') {
          fast++;
          tally.fast++;
          tally.reparsed += r.reparsed;
        } else {
          const why = (r.fullBecause ?? '?').replace(/^[^ ]*:\d+: |^\/\S+: /, '').replace(/\d+/g, 'N');
          tally.full.set(why, (tally.full.get(why) ?? 0) + 1);
        }
        prev = r;
      }
      // As if every reload since the first had been refused: the first memo still serves.
      const before = snapshot(first.result);
      const again = reloadConfig(first.memo, MAIN, optsFor(files));
      same(snapshot(again.result), snapshot(loadConfig(MAIN, optsFor(files))), `${base.name}, round ${round}: from the first memo after ${done.join('; ')}`);
      same(snapshot(first.result), before, `${base.name}, round ${round}: the first result changed`);
    }
    if (base.name.startsWith('gen')) expect(fast, 'reloads on the fast path').toBeGreaterThan(0);
  });

  it('the model shares no object but its locations, and carries no symbol but WRITTEN (model-clone.ts relies on it)', () => {
    for (const base of all) {
      const shared = new Set<string>();
      loadWatched(MAIN, optsFor(base.files), {
        fs: memFs(base.files),
        random: () => 0.5,
        lexed() {},
        topLevel() {},
        reuse: { verdictOf: () => undefined, checked() {} },
        walked(config) {
          const seen = new Set<object>();
          const walk = (v: unknown, at: string): void => {
            if (v === null || typeof v !== 'object') return;
            if (seen.has(v)) {
              const isLoc = Object.keys(v).join() === 'file,line';
              if (!isLoc) shared.add(`${base.name}: ${at}`);
              return;
            }
            seen.add(v);
            for (const s of Object.getOwnPropertySymbols(v)) if (s !== WRITTEN) shared.add(`${base.name}: ${at} has ${String(s)}`);
            for (const [k, x] of Object.entries(v)) walk(x, `${at}.${k}`);
            walk((v as { [WRITTEN]?: unknown })[WRITTEN], `${at}.(written)`);
          };
          walk(config, 'config');
        },
      });
      expect([...shared]).toEqual([]);
    }
  });
});

describe('reloadConfig takes the fast path', () => {
  const text = genConfig(20, 3);
  const lines = text.split('\n');
  const weightAt = lines.findIndex((l, i) => i > lines.length / 2 && /^\s*weight \d+$/.test(l));

  it('for one weight: one block parsed again, every other virtual server the same object', () => {
    const files = { [MAIN]: text };
    const a = reloadConfig(undefined, MAIN, optsFor(files));
    files[MAIN] = lines.map((l, i) => (i === weightAt ? '    weight 77' : l)).join('\n');
    const b = reloadConfig(a.memo, MAIN, optsFor(files));
    expect(b.reparsed).toBe(1);
    same(snapshot(b.result), snapshot(loadConfig(MAIN, optsFor(files))), 'one weight');
    const before = a.result.config.lvs.virtualServers;
    const after = b.result.config.lvs.virtualServers;
    expect(after.filter((vs, i) => vs === before[i])).toHaveLength(before.length - 1);
    expect(after.some((vs) => vs.realServers.some((rs) => rs.weight === 77))).toBe(true);
    expect(before.some((vs) => vs.realServers.some((rs) => rs.weight === 77))).toBe(false);
  });

  it('for a comment line: nothing parsed again, the blocks below moved one line down', () => {
    const files = { [MAIN]: text };
    const a = reloadConfig(undefined, MAIN, optsFor(files));
    const at = lines.findIndex((l, i) => i > lines.length / 2 && l.startsWith('virtual_server'));
    files[MAIN] = [...lines.slice(0, at), '# moved', ...lines.slice(at)].join('\n');
    const b = reloadConfig(a.memo, MAIN, optsFor(files));
    expect(b.reparsed).toBe(0);
    same(snapshot(b.result), snapshot(loadConfig(MAIN, optsFor(files))), 'comment line');
    const before = a.result.config.lvs.virtualServers;
    const after = b.result.config.lvs.virtualServers;
    after.forEach((vs, i) => {
      if (vs.loc.line < at + 1) expect(vs).toBe(before[i]);
      else {
        expect(vs).not.toBe(before[i]);
        expect(vs.loc.line).toBe(before[i]!.loc.line + 1);
        expect(vs.realServers[0]!.loc.line).toBe(before[i]!.realServers[0]!.loc.line + 1);
      }
    });
  });

  it('for an unchanged file: nothing parsed again, every virtual server the same object', () => {
    const files = { [MAIN]: text };
    const a = reloadConfig(undefined, MAIN, optsFor(files));
    const b = reloadConfig(a.memo, MAIN, optsFor(files));
    expect(b.reparsed).toBe(0);
    expect(b.result.config.lvs.virtualServers.every((vs, i) => vs === a.result.config.lvs.virtualServers[i])).toBe(true);
    same(snapshot(b.result), snapshot(a.result), 'unchanged');
  });

  it('for a weight in an included file, not for a new included file', () => {
    const inc = `${CONFD}/a.conf`;
    const files: Record<string, string> = {
      [MAIN]: `global_defs {\n  router_id inc\n}\ninclude ${CONFD}/*.conf\n`,
      [inc]: text.split('\n').slice(4).join('\n'),
    };
    const a = reloadConfig(undefined, MAIN, optsFor(files));
    files[inc] = files[inc]!.replace('weight 2', 'weight 9');
    const b = reloadConfig(a.memo, MAIN, optsFor(files));
    expect(b.reparsed).toBe(1);
    same(snapshot(b.result), snapshot(loadConfig(MAIN, optsFor(files))), 'weight in an include');
    files[`${CONFD}/b.conf`] = '';
    const c = reloadConfig(b.memo, MAIN, optsFor(files));
    expect(c.reparsed).toBe('all');
    expect(c.fullBecause).toMatch(/matches other files/);
  });

  it('not for a change outside virtual_server blocks, nor with a parameter', () => {
    const files = { [MAIN]: text };
    const a = reloadConfig(undefined, MAIN, optsFor(files));
    files[MAIN] = text.replace('router_id bench', 'router_id other');
    const b = reloadConfig(a.memo, MAIN, optsFor(files));
    expect(b.reparsed).toBe('all');
    expect(b.fullBecause).toMatch(/global_defs/);
    files[MAIN] = lines.map((l, i) => (i === weightAt ? '    weight $W' : l)).join('\n');
    const c = reloadConfig(a.memo, MAIN, optsFor(files));
    expect(c.reparsed).toBe('all');
    expect(c.fullBecause).toMatch(/parameters/);
  });

  it('not from a load that drew a random number', () => {
    const files = { [MAIN]: text.replace('delay_loop 6', 'delay_loop ${_RANDOM 1 9}') };
    const a = reloadConfig(undefined, MAIN, optsFor(files));
    expect(a.memo.refused).toMatch(/random/);
    const b = reloadConfig(a.memo, MAIN, optsFor(files));
    expect(b.reparsed).toBe('all');
  });

  it('reads the files through node:fs when no fs is given', () => {
    const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'reload-test-'));
    try {
      const file = path.join(dir, 'keepalived.conf');
      fs.writeFileSync(file, text);
      const opts: LoadOptions = { env: ENV, configId: 'lb1' };
      const a = reloadConfig(undefined, file, opts);
      fs.writeFileSync(file, lines.map((l, i) => (i === weightAt ? '    weight 5' : l)).join('\n'));
      const b = reloadConfig(a.memo, file, opts);
      expect(b.reparsed).toBe(1);
      same(snapshot(b.result), snapshot(loadConfig(file, { ...opts, fs: nodeFs })), 'node:fs');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
