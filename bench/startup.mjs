// Start-up benchmark: whole-process wall time of `--version`, `-t` on a three-line file and `-t` on the
// generated 1,000 virtual servers x 10 real servers file with TCP_CHECKs (bench/gen-config.js), for
// tskeepalived and keepalived 2.2.7 side by side in the same run, interleaved (one of each per round, so a
// busy neighbour on the machine weighs on both). Also `node -e 0`, the floor every Node program pays.
// Each figure is the median of N rounds, after one untimed warm-up round (page cache, and tskeepalived's
// V8 compile cache when it is on). Next to wall time, the CPU time (user + system) the process used, the
// mean over the rounds, read from this process's children totals in /proc/self/stat: on a machine that
// other work keeps busy, wall time swings and CPU time much less. Prints a table and, with --json, the
// figures as JSON.
// --baseline DIR adds a third column: the tskeepalived built in DIR (another checkout, after its own build),
// timed in the same rounds, to measure a change against the code before it.
// Usage: node bench/startup.mjs [rounds=15] [--json] [--baseline DIR]   (after `npm run build`)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { genConfig } from './gen-config.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const json = args.includes('--json');
const rounds = Number(args.find((a) => /^\d+$/.test(a)) ?? 15);
const baseDir = args.includes('--baseline') ? path.resolve(args[args.indexOf('--baseline') + 1]) : null;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tskstartup-'));
const tiny = path.join(dir, 'tiny.conf');
const big = path.join(dir, 'big.conf');
fs.writeFileSync(tiny, 'global_defs {\n  router_id bench\n}\n');
fs.writeFileSync(big, genConfig(1000, 10));

const bin = path.join(here, '../bin/tskeepalived.js');
const ts = (...a) => [process.execPath, [bin, ...a]];
const base = (...a) => (baseDir ? [process.execPath, [path.join(baseDir, 'bin/tskeepalived.js'), ...a]] : null);
const haveKa = fs.existsSync('/usr/sbin/keepalived') && spawnSync('keepalived', ['-v']).status !== null;
// keepalived -t looks at the host's interfaces; a fresh network namespace (unshare -n, root) keeps that
// equal run to run. Without root, keepalived runs as is.
const asRoot = process.getuid?.() === 0;
const ka = (...a) => (asRoot ? ['unshare', ['-n', 'keepalived', ...a]] : ['keepalived', a]);

const cases = [
  { name: 'node -e 0 (floor)', ts: [process.execPath, ['-e', '0']], ka: null },
  { name: '--version', ts: ts('--version'), ka: ka('--version'), base: base('--version') },
  { name: '-t, 3-line file', ts: ts('-t', '-f', tiny), ka: ka('-t', '-f', tiny), base: base('-t', '-f', tiny) },
  { name: '-t, 1,000 x 10 TCP_CHECK file', ts: ts('-t', '-f', big), ka: ka('-t', '-f', big), base: base('-t', '-f', big) },
];

/** CPU time of the children this process has waited for, in ms (clock ticks of 10 ms, summed exactly). */
const TICK_MS = 10;
function childCpuMs() {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * TICK_MS; // cutime, cstime (fields 16 and 17)
}

function once([cmd, argv]) {
  const c0 = childCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  return { ms, cpuMs: childCpuMs() - c0, status: r.status, out: r.stdout + r.stderr };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const WHO = ['ts', 'ka', 'base'];
const samples = cases.map(() => ({ ts: [], ka: [], base: [] }));
const cpu = cases.map(() => ({ ts: 0, ka: 0, base: 0 }));
const status = cases.map(() => ({ ts: null, ka: null, base: null }));
for (let round = -1; round < rounds; round++) {
  cases.forEach((c, i) => {
    for (const who of WHO) {
      if (!c[who] || (who === 'ka' && !haveKa)) continue;
      const r = once(c[who]);
      status[i][who] = r.status;
      if (round >= 0) {
        samples[i][who].push(r.ms);
        cpu[i][who] += r.cpuMs;
      }
    }
  });
}

const rows = cases.map((c, i) => {
  const t = samples[i].ts.length ? median(samples[i].ts) : null;
  const k = samples[i].ka.length ? median(samples[i].ka) : null;
  const row = {
    case: c.name,
    tskeepalivedMs: t && +t.toFixed(1),
    tskeepalivedMinMs: samples[i].ts.length ? +Math.min(...samples[i].ts).toFixed(1) : null,
    keepalivedMs: k && +k.toFixed(1),
    keepalivedMinMs: samples[i].ka.length ? +Math.min(...samples[i].ka).toFixed(1) : null,
    ratio: t && k ? +(t / k).toFixed(2) : null,
    tskeepalivedCpuMs: samples[i].ts.length ? +(cpu[i].ts / rounds).toFixed(1) : null,
    keepalivedCpuMs: samples[i].ka.length ? +(cpu[i].ka / rounds).toFixed(1) : null,
    exit: status[i],
  };
  if (baseDir) {
    const b = samples[i].base.length ? median(samples[i].base) : null;
    Object.assign(row, {
      baselineMs: b && +b.toFixed(1),
      baselineCpuMs: samples[i].base.length ? +(cpu[i].base / rounds).toFixed(1) : null,
      speedup: t && b ? +(b / t).toFixed(2) : null,
    });
  }
  return row;
});

if (json) {
  console.log(JSON.stringify({ node: process.version, rounds, cpus: os.cpus().length, load: os.loadavg(), asRoot, baseDir, rows }, null, 2));
} else {
  console.log(
    `Node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)}, median of ${rounds} rounds (min in brackets)${asRoot ? ', keepalived in a fresh netns' : ''}`,
  );
  console.log('| what | tskeepalived wall (min) | keepalived 2.2.7 wall (min) | ratio | CPU: tskeepalived | keepalived | ratio |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const f = (m, mn) => (m === null ? '–' : `${m.toFixed(0)} ms (${mn.toFixed(0)})`);
    const c = (m) => (m === null ? '–' : `${m.toFixed(0)} ms`);
    const cr = r.tskeepalivedCpuMs && r.keepalivedCpuMs ? (r.tskeepalivedCpuMs / r.keepalivedCpuMs).toFixed(2) + 'x' : '–';
    console.log(
      `| ${r.case} | ${f(r.tskeepalivedMs, r.tskeepalivedMinMs)} | ${f(r.keepalivedMs, r.keepalivedMinMs)} | ${r.ratio === null ? '–' : r.ratio + 'x'} | ${c(r.tskeepalivedCpuMs)} | ${c(r.keepalivedCpuMs)} | ${cr} |`,
    );
  }
  if (baseDir) {
    console.log(`\nbaseline ${baseDir}:`);
    console.log('| what | baseline wall | CPU | this build wall | CPU | wall speed-up |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const r of rows) {
      if (r.baselineMs === null || r.baselineMs === undefined) continue;
      console.log(
        `| ${r.case} | ${r.baselineMs.toFixed(0)} ms | ${r.baselineCpuMs.toFixed(0)} ms | ${r.tskeepalivedMs.toFixed(0)} ms | ${r.tskeepalivedCpuMs?.toFixed(0) ?? '-'} ms | ${r.speedup}x |`,
      );
    }
  }
  const bad = rows.filter((r) => r.exit.ka !== null && r.exit.ts !== r.exit.ka);
  for (const r of bad) console.log(`note: exit status differs for ${r.case}: tskeepalived ${r.exit.ts}, keepalived ${r.exit.ka}`);
}
fs.rmSync(dir, { recursive: true, force: true });
