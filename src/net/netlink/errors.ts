/**
 * Netlink layer: an error the kernel (or a netlink socket) reported, by its numeric errno. Callers decide
 * on `code` (EEXIST, ENOENT, ENOBUFS, ...), never on message text. One of the program's error kinds
 * (util/errors.ts): `kernel`, or `permission` for EPERM/EACCES.
 */
import * as util from 'node:util';
import { osErrnoName } from '../../util/errno.js';
import { TskError } from '../../util/errors.js';

function errnoText(errno: number): string {
  try {
    return util.getSystemErrorMessage(-errno);
  } catch {
    return 'unknown error';
  }
}

export class NetlinkError extends TskError {
  /** The errno's name: what callers test. */
  readonly code: string;

  constructor(
    /** Positive errno. */
    readonly errno: number,
    /** What was being done, e.g. "reading the rtnetlink subscription". */
    readonly op: string,
    options?: { cause?: unknown },
  ) {
    super(errno === 1 || errno === 13 ? 'permission' : 'kernel', `${op}: ${osErrnoName(errno)} (${errnoText(errno)})`, options); // EPERM, EACCES
    this.name = 'NetlinkError';
    this.code = osErrnoName(errno);
  }
}

/** The errno name of a NetlinkError (or of any error carrying a string `code`), else ''. */
export function codeOf(e: unknown): string {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : '';
}
