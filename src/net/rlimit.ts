/**
 * Net layer, edge: the open-files limit (RLIMIT_NOFILE). Every check in flight holds a socket; 10,000
 * real servers with a connect_timeout longer than delay_loop need more descriptors than the usual hard
 * limit of 4,096, and running out would fail checks for a reason that has nothing to do with the real
 * servers. Like keepalived, the daemon raises its limit (soft and hard, as root) to what its checkers
 * need, never above the kernel's fs.nr_open. libc's getrlimit()/setrlimit() through koffi (Node has no
 * setrlimit; it only raises the soft limit to the hard one at start-up), via net/libc.ts.
 */
import * as fs from 'node:fs';
import { libcFunc } from './libc.js';
import { errorText } from '../util/errors.js';

const RLIMIT_NOFILE = 7;

const getrlimit = libcFunc<(resource: number, out: Buffer) => number>('int getrlimit(int, _Out_ uint8_t *rl)');
const setrlimit = libcFunc<(resource: number, value: Buffer) => number>('int setrlimit(int, const uint8_t *rl)');

export function openFilesLimit(): { soft: number; hard: number } {
  const b = Buffer.alloc(16);
  if (getrlimit(RLIMIT_NOFILE, b) !== 0) throw new Error('getrlimit(RLIMIT_NOFILE) failed');
  return { soft: Number(b.readBigUInt64LE(0)), hard: Number(b.readBigUInt64LE(8)) };
}

/**
 * Raises the open-files limit to `want` (capped by fs.nr_open) when it is lower; returns the limits
 * before and after, or an error text when the kernel refused (not root).
 */
export function raiseOpenFilesLimit(want: number): { before: number; after: number } | { error: string } {
  try {
    const before = openFilesLimit();
    let cap = Infinity;
    try {
      cap = Number(fs.readFileSync('/proc/sys/fs/nr_open', 'utf8').trim()) || Infinity;
    } catch {
      // no /proc: let the kernel say
    }
    const target = Math.min(want, cap);
    if (before.soft >= target) return { before: before.soft, after: before.soft };
    const set = (soft: number, hard: number) => {
      const b = Buffer.alloc(16);
      b.writeBigUInt64LE(BigInt(soft), 0);
      b.writeBigUInt64LE(BigInt(hard), 8);
      return setrlimit(RLIMIT_NOFILE, b) === 0;
    };
    // Node has already raised the soft limit to the hard one: going further needs CAP_SYS_RESOURCE.
    if (!set(target, Math.max(target, before.hard)))
      return { error: `setrlimit(RLIMIT_NOFILE, ${target}) refused (needs CAP_SYS_RESOURCE; the limit is ${before.hard})` };
    return { before: before.soft, after: openFilesLimit().soft };
  } catch (e) {
    return { error: errorText(e) };
  }
}
