#!/usr/bin/env node
/**
 * Bundles the compiled program (dist/, from tsc) into dist/app/ with esbuild: two entry points,
 * dist/app/main.js (the command, bin/tskeepalived.js imports it) and dist/app/child.js (the VRRP and checker
 * processes, forked by the supervisor from the same directory), and shared chunks. Part of `npm run build`.
 *
 * Why: Node loads an ES module at a time, each with its own resolution, file read, package.json lookup and
 * compilation. `tskeepalived -t` on a three-line file spent some 25 ms of its ~45 ms beyond Node's own
 * start in that machinery for 41 modules (measured with --cpu-prof); bundled, it loads one file and the
 * configuration layer's chunk. Each dynamic import() of the program (the daemon, VRRP, IPVS, the checkers,
 * the metrics endpoint) stays its own chunk, loaded only by the processes that need it.
 *
 * The layout keeps the paths the code computes from import.meta.url: dist/app/ is one level under dist/, as
 * dist/cli/ and dist/daemon/ are (package.json at ../../, the child entry next to the supervisor, and the
 * native addons in dist/native/, which the loaders also look for at ../native/). Dependencies from
 * node_modules are not bundled (native addons, and the versions npm installed). The unbundled modules stay in
 * dist/ for the tests and scripts that import them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(new URL('..', import.meta.url).pathname);
const out = path.join(ROOT, 'dist/app');

fs.rmSync(out, { recursive: true, force: true });
const r = await build({
  entryPoints: { main: path.join(ROOT, 'dist/cli/main.js'), child: path.join(ROOT, 'dist/daemon/child.js') },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  packages: 'external',
  chunkNames: 'chunk-[hash]',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});
const files = Object.keys(r.metafile.outputs).filter((f) => f.endsWith('.js'));
console.error(`bundle: ${files.length} files in dist/app (entries main.js and child.js)`);
