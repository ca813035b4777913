// Reload parse benchmark: the load a SIGHUP costs on a 1 MB keepalived.conf (1,000 virtual servers x 10 real
// servers with TCP_CHECK), in process: a full load (loadConfig) against reloadConfig from the memo of the
// running configuration, which parses again only the virtual_server blocks that changed (src/config/reload.ts).
// Edits: one weight (one block parsed again, nothing moves), and one comment line above the middle block
// (nothing parsed again, the 500 blocks below move one line). Also the cost of remembering a load (the
// daemon's start and every full reload) over a plain full load. Each figure is the median of `runs`, after a
// warm-up; every fast result is checked against the full load of the same text.
// Usage: node bench/reload-parse.mjs [runs]   (after `npm run build`)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { genConfig } from './gen-config.js';

// The built loader (dist/ is src/ compiled by `npm run build`), typed from its source.
/** @type {typeof import('../src/config/index.js')} */
const { loadConfig, permissiveEnv } = await import(new URL('../dist/config/index.js', import.meta.url).href);
/** @type {typeof import('../src/config/reload.js')} */
const { reloadConfig } = await import(new URL('../dist/config/reload.js', import.meta.url).href);

const runs = Number(process.argv[2] ?? 7);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tskreload-'));
const file = path.join(dir, 'keepalived.conf');
const base = genConfig(1000, 10);
const lines = base.split('\n');
const opts = { env: permissiveEnv, configId: null };

/** @param {number[]} xs */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
/** @param {() => unknown} f */
const time = (f) => {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
};
/** @param {import('../src/config/index.js').LoadResult} r */
const snapshot = (r) => JSON.stringify({ config: r.config, diags: r.diagnostics.list, exit: r.exitCode, lines: r.lines });

// A weight in the middle of the file, and the first line of the middle virtual_server.
const weightAt = lines.findIndex((l, i) => i > lines.length / 2 && /^\s*weight \d+$/.test(l));
const blockAt = lines.findIndex((l, i) => i > lines.length / 2 && l.startsWith('virtual_server'));
/** @type {Record<string, (n: number) => string>} */
const edits = {
  oneWeight: (n) => lines.map((l, i) => (i === weightAt ? `    weight ${10 + n}` : l)).join('\n'),
  commentLine: (n) => [...lines.slice(0, blockAt), `# edit ${n}`, ...lines.slice(blockAt)].join('\n'),
};

fs.writeFileSync(file, base);
const remembered = [];
const plain = [];
let running = reloadConfig(undefined, file, opts).memo;
for (let i = 0; i <= runs; i++) {
  const r = time(() => {
    running = reloadConfig(undefined, file, opts).memo;
  });
  const p = time(() => loadConfig(file, opts));
  if (i > 0) {
    remembered.push(r);
    plain.push(p);
  }
}

/** @type {Record<string, unknown>} */
const report = {
  config: { virtualServers: 1000, realServers: 10000, bytes: Buffer.byteLength(base) },
  runs,
  rememberMs: { fullLoadWithMemo: +median(remembered).toFixed(1), fullLoad: +median(plain).toFixed(1) },
};
for (const [name, edit] of Object.entries(edits)) {
  const full = [];
  const fast = [];
  let reparsed;
  let same = true;
  for (let i = 0; i <= runs; i++) {
    fs.writeFileSync(file, edit(i));
    /** @type {import('../src/config/reload.js').Reloaded | undefined} */
    let r;
    const f = time(() => {
      r = reloadConfig(running, file, opts);
    });
    /** @type {import('../src/config/index.js').LoadResult | undefined} */
    let l;
    const t = time(() => {
      l = loadConfig(file, opts);
    });
    if (!r || !l) throw new Error('no load');
    same &&= snapshot(r.result) === snapshot(l);
    reparsed = r.reparsed;
    if (i > 0) {
      fast.push(f);
      full.push(t);
    }
    fs.writeFileSync(file, base); // the running configuration stays the base file: each reload is one edit away
  }
  report[name] = { fullMs: +median(full).toFixed(1), fastMs: +median(fast).toFixed(1), reparsed, sameAsFull: same };
}
fs.rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(report, null, 2));
