/**
 * Net layer, edge: a socket opened with the options Node's net and dgram modules cannot set before a
 * connect, SO_BINDTODEVICE (a checker's bind_if) and SO_MARK (its fwmark), as keepalived sets them on its
 * checker sockets. libc's socket()/setsockopt() are called through koffi (net/libc.ts);
 * the descriptor is then handed to Node (a TCP handle's open(), or new net.Socket({ fd })), which owns
 * and closes it from there on.
 */
import * as net from 'node:net';
import { osErrnoName } from '../util/errno.js';
import { ipToBytes } from './ip.js';
import { close, lastErrno, libcFunc, setsockopt, socket } from './libc.js';
import { errorText } from '../util/errors.js';

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;
const SO_MARK = 36;

export interface SocketMarks {
  /** SO_BINDTODEVICE: the interface the socket is bound to. */
  bindIf?: string;
  /** SO_MARK; 0 = none. */
  fwmark?: number;
}

const bind = libcFunc<(fd: number, addr: Buffer, len: number) => number>('int bind(int, const void *addr, uint32_t len)');

/** True when the options need a socket of our own (Node's defaults otherwise). */
export function needsMarks(m: SocketMarks): boolean {
  return Boolean(m.bindIf) || (m.fwmark ?? 0) !== 0;
}

/** Why setting bind_if or fwmark failed, as every checker words it ("bind_if eth9: ENODEV"). */
export function markFailure(option: 'bind_if' | 'fwmark', m: SocketMarks, errno: number): string {
  return `${option} ${option === 'bind_if' ? m.bindIf : m.fwmark}: ${osErrnoName(errno)}`;
}

/** Sets bind_if / fwmark on an open descriptor; returns undefined or why it failed ("bind_if eth9: ENODEV"). */
function applyMarks(fd: number, m: SocketMarks): string | undefined {
  if (m.bindIf) {
    const name = Buffer.from(`${m.bindIf}\0`);
    if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, name.length) !== 0) return markFailure('bind_if', m, lastErrno());
  }
  if (m.fwmark) {
    const v = Buffer.alloc(4);
    v.writeUInt32LE(m.fwmark >>> 0);
    if (setsockopt(fd, SOL_SOCKET, SO_MARK, v, 4) !== 0) return markFailure('fwmark', m, lastErrno());
  }
  return undefined;
}

/** struct sockaddr_in / sockaddr_in6 for a local address and port. (pure) */
function sockaddr(family: 'inet' | 'inet6', address: string | undefined, port: number): Buffer {
  const v6 = family === 'inet6';
  const b = Buffer.alloc(v6 ? 28 : 16);
  b.writeUInt16LE(v6 ? AF_INET6 : AF_INET, 0);
  b.writeUInt16BE(port, 2);
  if (address) b.set(ipToBytes(address), v6 ? 8 : 4);
  return b;
}

/**
 * A new non-blocking stream (TCP) or datagram socket of the family with bind_if / fwmark applied, and
 * bound to `local` when given: `{ fd }`, or `{ error }` naming the option and the errno (nothing is left
 * open then).
 */
export function openMarkedSocket(
  family: 'inet' | 'inet6',
  kind: 'stream' | 'dgram',
  m: SocketMarks,
  local?: { address?: string; port: number },
): { fd: number } | { error: string } {
  const fd = socket(family === 'inet6' ? AF_INET6 : AF_INET, (kind === 'stream' ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return { error: `socket: ${osErrnoName(lastErrno())}` };
  let error = applyMarks(fd, m);
  if (!error && local) {
    const a = sockaddr(family, local.address, local.port);
    if (bind(fd, a, a.length) !== 0) error = `bind ${local.address ?? '*'}:${local.port}: ${osErrnoName(lastErrno())}`;
  }
  if (error) {
    close(fd);
    return { error };
  }
  return { fd };
}

/** Closes a descriptor Node never took over. */
export function closeFd(fd: number): void {
  close(fd);
}

/** An unconnected net.Socket on a new stream socket with bind_if / fwmark applied, or why not. */
export function markedNetSocket(family: 'inet' | 'inet6', m: SocketMarks): net.Socket | { error: string } {
  const r = openMarkedSocket(family, 'stream', m);
  if ('error' in r) return r;
  try {
    return new net.Socket({ fd: r.fd, readable: true, writable: true });
  } catch (e) {
    close(r.fd);
    return { error: (e as NodeJS.ErrnoException).code ?? errorText(e) };
  }
}
