// Parse benchmark: a 10,000-real-server keepalived.conf (1,000 virtual servers x 10 real servers with
// TCP_CHECK), parsed by tskeepalived's loader in-process (median of runs after one warm-up) and, side by
// side in the same run, `tskeepalived -t` and `keepalived -t` as whole processes (median wall time).
// Usage: node bench/parse.js [runs]   (after `npm run build`)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { genConfig } from './gen-config.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// The built loader (dist/ is src/ compiled by `npm run build`), typed from its source.
/** @type {typeof import('../src/config/index.js')} */
const { loadConfig, permissiveEnv } = await import(new URL('../dist/config/index.js', import.meta.url).href);
const runs = Number(process.argv[2] ?? 7);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tskbench-'));
const file = path.join(dir, 'keepalived.conf');
fs.writeFileSync(file, genConfig(1000, 10));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// In-process parse (lexer + tables + validation), warm.
let result = loadConfig(file, { env: permissiveEnv, configId: null });
const inproc = [];
for (let i = 0; i < runs; i++) {
  const t0 = process.hrtime.bigint();
  result = loadConfig(file, { env: permissiveEnv, configId: null });
  inproc.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
const rsCount = result.config.lvs.virtualServers.reduce((n, vs) => n + (vs.realServers?.length ?? 0), 0);

function timeProcess(cmd, args) {
  const ts = [];
  let rc = null;
  for (let i = 0; i < Math.min(runs, 5); i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
    rc = r.status;
    if (r.error) return null;
  }
  return { ms: median(ts), rc };
}
const ts = timeProcess(process.execPath, [path.join(here, '../bin/tskeepalived.js'), '-t', '-f', file]);
const haveKa = spawnSync('keepalived', ['-v']).status !== null && fs.existsSync('/usr/sbin/keepalived');
const ka = haveKa ? timeProcess('unshare', ['-n', 'keepalived', '-t', '-f', file]) : null;

const report = {
  config: { virtualServers: result.config.lvs.virtualServers.length, realServers: rsCount, lines: result.lines, bytes: fs.statSync(file).size },
  inProcessParseMs: { median: +median(inproc).toFixed(1), min: +Math.min(...inproc).toFixed(1), runs },
  process: {
    tskeepalivedTestMs: ts && +ts.ms.toFixed(0),
    keepalivedTestMs: ka && +ka.ms.toFixed(0),
    ratio: ts && ka ? +(ts.ms / ka.ms).toFixed(2) : null,
  },
  targetMs: 300,
  pass: median(inproc) < 300,
};
console.log(JSON.stringify(report, null, 2));
fs.rmSync(dir, { recursive: true, force: true });
