/**
 * Net layer, edge: the libc calls Node does not offer (AF_PACKET sockets, setsockopt before a connect,
 * setrlimit), through koffi: an FFI whose prebuilt binaries ship inside its npm package, so nothing is
 * compiled at install and it survives packaging. libc is loaded on the first call, and each function is
 * bound to its C signature once.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface Koffi {
  load(name: string): { func(sig: string): (...a: never[]) => number };
  errno(): number;
}

let koffi: Koffi | undefined;
let lib: ReturnType<Koffi['load']> | undefined;

/** A libc function by its C signature (e.g. `int close(int)`), bound on its first call. */
export function libcFunc<F extends (...args: never[]) => number>(signature: string): F {
  let f: F | undefined;
  return ((...args: never[]) => {
    if (!f) {
      koffi ??= require('koffi') as Koffi;
      lib ??= koffi.load('libc.so.6');
      f = lib.func(signature) as F;
    }
    return f(...args);
  }) as F;
}

/** errno as the last libc call through koffi left it. */
export function lastErrno(): number {
  koffi ??= require('koffi') as Koffi;
  return koffi.errno();
}

export const socket = libcFunc<(domain: number, type: number, protocol: number) => number>('int socket(int, int, int)');
export const close = libcFunc<(fd: number) => number>('int close(int)');
export const setsockopt = libcFunc<(fd: number, level: number, name: number, value: Buffer, len: number) => number>(
  'int setsockopt(int, int, int, const void *val, uint32_t len)',
);

/** glibc's malloc_trim: gives the free memory of malloc's heaps back to the system. */
export const mallocTrim = libcFunc<(pad: number) => number>('int malloc_trim(size_t pad)');
