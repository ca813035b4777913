#!/usr/bin/env node
/**
 * Builds the native TCP check engine (native/tcp_engine.c, N-API) into dist/native/tcp_engine.node with the
 * system C compiler and the running Node's headers: no node-gyp, no download. Part of `npm run build`.
 *
 * Without a C compiler or Node's headers the daemon still works (TCP_CHECK then uses Node's own TCP
 * handles, at several times the CPU per check): this says so and exits 0. A compiler that is present but
 * fails on the file is a bug: exit 1. TSKEEPALIVED_NATIVE=0 skips the build.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(new URL('..', import.meta.url).pathname);
const SRC = path.join(ROOT, 'native/tcp_engine.c');
const OUT = path.join(ROOT, 'dist/native/tcp_engine.node');
const say = (m) => console.error(`build-native: ${m}`);

if (process.env.TSKEEPALIVED_NATIVE === '0') {
  say('TSKEEPALIVED_NATIVE=0: not built; TCP_CHECK will use Node TCP handles');
  process.exit(0);
}
const includes = [path.resolve(path.dirname(process.execPath), '../include/node'), '/usr/include/node', '/usr/local/include/node'];
const inc = includes.find((d) => fs.existsSync(path.join(d, 'node_api.h')) && fs.existsSync(path.join(d, 'uv.h')));
const cc = process.env.CC ?? 'cc';
let haveCc = true;
try {
  execFileSync(cc, ['--version'], { stdio: 'ignore' });
} catch {
  haveCc = false;
}
if (!inc || !haveCc) {
  say(`${!haveCc ? `no C compiler (${cc})` : `no Node headers (node_api.h, uv.h) in ${includes.join(', ')}`}: the native TCP check engine is not built; TCP_CHECK will use Node TCP handles`);
  process.exit(0);
}
fs.mkdirSync(path.dirname(OUT), { recursive: true });
if (fs.existsSync(OUT) && fs.statSync(OUT).mtimeMs > fs.statSync(SRC).mtimeMs && fs.statSync(OUT).mtimeMs > fs.statSync(new URL(import.meta.url)).mtimeMs) process.exit(0);
try {
  execFileSync(cc, ['-O2', '-g', '-fPIC', '-shared', '-std=gnu11', '-Wall', '-Wextra', '-Werror', `-I${inc}`, '-o', `${OUT}.tmp`, SRC], { stdio: 'inherit' });
  fs.renameSync(`${OUT}.tmp`, OUT);
  say(`built ${path.relative(ROOT, OUT)}`);
} catch (e) {
  say(`${cc} failed on ${path.relative(ROOT, SRC)}: ${e.message}`);
  process.exit(1);
}
