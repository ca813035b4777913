/**
 * Net layer, edge: the libc calls Node does not offer (AF_PACKET sockets, setsockopt before a connect,
 * setrlimit), through koffi: an FFI whose prebuilt binaries ship inside its npm package, so nothing is
 * compiled at install and it survives packaging. libc is loaded once and each signature bound once.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface Koffi {
  load(name: string): { func(sig: string): (...a: never[]) => number };
  errno(): number;
}

let koffi: Koffi | undefined;
let lib: ReturnType<Koffi['load']> | undefined;
const bound = new Map<string, unknown>();

/** The libc function of this C signature, e.g. `int close(int)`. */
export function libcFunc<F>(signature: string): F {
  let f = bound.get(signature);
  if (!f) {
    koffi ??= require('koffi') as Koffi;
    lib ??= koffi.load('libc.so.6');
    f = lib.func(signature);
    bound.set(signature, f);
  }
  return f as F;
}

/** errno as the last libc call through koffi left it. */
export function lastErrno(): number {
  koffi ??= require('koffi') as Koffi;
  return koffi.errno();
}
