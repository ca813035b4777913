#!/usr/bin/env node
// Entry point installed as `tskeepalived`; the code lives in dist/app/ (built from src/ by `npm run build`).
//
// V8's compile cache keeps the compiled code of dist/ between runs, so a start (and `-t`) does not compile
// every module again. It goes, in this order of choice:
//   - where NODE_COMPILE_CACHE says (Node has then switched it on already; NODE_DISABLE_COMPILE_CACHE=1
//     switches it off),
//   - as root, /var/cache/tskeepalived (made 0700 if missing; never a shared temporary directory, whose
//     entries another user could have planted),
//   - otherwise $TMPDIR (or /tmp)/tskeepalived-compile-cache-<uid>, made 0700, used when it is ours and no
//     one else can write it.
// The cache is only an optimisation: any failure leaves it off, silently. Node checks each entry against
// the source and its own version before use.
import * as module from 'node:module';

const env = process.env;
if (module.enableCompileCache && !env.NODE_DISABLE_COMPILE_CACHE && !module.getCompileCacheDir?.()) {
  const fs = process.getBuiltinModule('node:fs');
  const uid = process.getuid?.() ?? -1;
  const tmp = (env.TMPDIR || '/tmp').replace(/\/+$/, '') || '/';
  const dir = uid === 0 ? '/var/cache/tskeepalived' : `${tmp}/tskeepalived-compile-cache-${uid}`;
  try {
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    const st = fs.lstatSync(dir);
    if (st.isDirectory() && st.uid === uid && (st.mode & 0o022) === 0) module.enableCompileCache(dir);
  } catch {
    // no cache: start as without one
  }
}

// dist/app/ is the program bundled by scripts/bundle.mjs (one file to load instead of dozens of modules).
const { main } = await import('../dist/app/main.js');
process.exitCode = await main(process.argv.slice(2));
