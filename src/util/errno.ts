/**
 * Util: errno numbers to names, for every message that reports a system call's failure (netlink replies,
 * checker sockets). Positive numbers, as the kernel and libc give them.
 */
import { constants } from 'node:os';

/** errno number -> name; the first name wins (EAGAIN, not EWOULDBLOCK), and 95 is EOPNOTSUPP as in the kernel. */
const ERRNO_NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(constants.errno)) if (!ERRNO_NAMES.has(n)) ERRNO_NAMES.set(n, name);
if (constants.errno.EOPNOTSUPP !== undefined) ERRNO_NAMES.set(constants.errno.EOPNOTSUPP, 'EOPNOTSUPP');

/** osErrnoName(17) = "EEXIST"; an unknown number reads "errno N". */
export function osErrnoName(n: number): string {
  return ERRNO_NAMES.get(n) ?? `errno ${n}`;
}
