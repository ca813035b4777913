/**
 * What the result of one IPVS request means, in an operator's words (pure). The errno names come from
 * the kernel's answers (net/netfilter/ipvs/ip_vs_ctl.c): EEXIST adding what exists, ESRCH for a
 * missing service, ENOENT for a missing destination or an unknown scheduler / persistence engine,
 * ERANGE for a weight above INT_MAX or lthreshold above uthreshold, EINVAL for missing attributes or a
 * destination the director cannot reach.
 */
import { formatDest, formatService, type IpvsOp } from './types.js';

export { osErrnoName } from '../util/errno.js';

/** One op's outcome. `already`: it asked for what the kernel already had (add of an existing entry, removal of a gone one). */
export interface OpResult {
  op: IpvsOp;
  ok: boolean;
  already?: boolean;
  /** The kernel's errno name (EEXIST, ESRCH, ...), or ETIMEDOUT/EBADF/EINVAL from this side. */
  errno?: string;
  message: string;
}

/** "virtual server TCP 192.0.2.1:80" or "real server 198.51.100.11:80 of virtual server TCP 192.0.2.1:80". */
export function opTarget(op: IpvsOp): string {
  const svc = `virtual server ${formatService(op.service)}`;
  return 'dest' in op ? `real server ${formatDest(op.dest)} of ${svc}` : svc;
}

const VERB = { new: ['adding', 'added'], set: ['updating', 'updated'], del: ['removing', 'removed'] } as const;
const kind = (op: IpvsOp) => op.op.slice(0, 3) as keyof typeof VERB;

/** Why `errno` happened to `op`, as precisely as the kernel's code allows. */
export function explain(op: IpvsOp, errno: string): string {
  const isDest = 'dest' in op;
  switch (errno) {
    case 'ENOENT':
      if (op.op === 'new-service' || op.op === 'set-service') {
        const s = op.service.scheduler;
        const pe = op.service.peName ? ` or persistence engine '${op.service.peName}' (ip_vs_pe_${op.service.peName})` : '';
        return `unknown scheduler '${s}' (kernel module ip_vs_${s} not loaded?)${pe}`;
      }
      return isDest ? 'the real server does not exist' : 'not found';
    case 'ESRCH':
      return 'the virtual server does not exist';
    case 'EEXIST':
      return 'it already exists';
    case 'EINVAL':
      return isDest
        ? "the kernel refused the real server: not a unicast or local address routable from this director, a GUE tunnel without a port, or a family other than the service's without tunnelling"
        : 'the kernel refused the virtual server: a name too long (15 characters at most), an IPv6 prefix length outside 1-128, or a missing attribute';
    case 'ERANGE':
      return isDest ? 'weight above 2147483647 or lthreshold above uthreshold' : 'a value out of range';
    case 'EAFNOSUPPORT':
      return "this kernel's IPVS has no IPv6 support";
    case 'EPERM':
    case 'EACCES':
      return 'needs CAP_NET_ADMIN';
    case 'ENOMEM':
      return 'the kernel is out of memory';
    case 'ETIMEDOUT':
      return 'no answer from the kernel in time';
    case 'EBADF':
      return 'the IPVS client is closed';
    case 'ENOBUFS':
      return 'netlink receive buffer overflow';
    default:
      return 'the kernel refused it';
  }
}

/** The result of `op` given the kernel's answer (0 = acknowledged); `context` is appended to a failure's reason. */
export function opResult(op: IpvsOp, errno: string | 0, context = ''): OpResult {
  const k = kind(op);
  const target = opTarget(op);
  if (errno === 0) return { op, ok: true, message: `${VERB[k][1]} ${target}` };
  if (k === 'new' && errno === 'EEXIST') return { op, ok: true, already: true, errno, message: `${target} already exists` };
  if (k === 'del' && (errno === 'ESRCH' || errno === 'ENOENT')) return { op, ok: true, already: true, errno, message: `${target} was already gone` };
  return { op, ok: false, errno, message: `${VERB[k][0]} ${target} failed: ${errno}: ${explain(op, errno)}${context}` };
}

/** An op that was never sent because its values cannot be encoded (an IPv6 address in an IPv4 entry, ...). */
export function notSent(op: IpvsOp, reason: string): OpResult {
  return { op, ok: false, errno: 'EINVAL', message: `${VERB[kind(op)][0]} ${opTarget(op)} failed: not sent: ${reason}` };
}
