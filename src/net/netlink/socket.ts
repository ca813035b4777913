/**
 * Netlink layer, edge: a netlink socket that delivers whole datagrams and reports errors by errno.
 *
 * Two implementations behind one interface:
 * - native (native/netlink.c, built into dist/native/netlink.node): survives the error the kernel sets on a
 *   subscriber that could not keep up (ENOBUFS: notifications lost). It is reported to onError and the
 *   socket goes on, so the owner can resynchronise by a dump. SO_RCVBUFFORCE is available.
 * - the `netlink` package's RawNetlinkSocket, when the addon is not built (no C compiler at build time) or
 *   TSKEEPALIVED_NATIVE=0. Its native poll callback cannot report that error: the process aborts on an
 *   overrun (the supervisor then respawns the child). `impl` says which one is in use, for the log.
 */
import { RawNetlinkSocket } from 'netlink';
import { NetlinkError } from './errors.js';
import { NLM_F_DUMP, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR, message, messageErrno, splitMessages, type RxMessage } from './message.js';
import { loadNativeAddon } from '../../util/native-addon.js';

export { NETLINK_GENERIC, NETLINK_ROUTE } from './message.js';

export interface NetlinkSocket {
  readonly impl: 'native' | 'package';
  /** Every datagram read in one loop turn, in order. */
  onDatagrams(fn: (datagrams: Buffer[]) => void): void;
  /** An error the socket reported (ENOBUFS: messages for it were dropped). The socket stays open. */
  onError(fn: (e: NetlinkError) => void): void;
  join(group: number): void;
  /** SO_RCVBUFFORCE when `force` (ignores net.core.rmem_max; needs CAP_NET_ADMIN), else SO_RCVBUF. */
  setReceiveBuffer(bytes: number, force: boolean): void;
  /** The size the kernel keeps (twice what was asked, capped by rmem_max unless forced). */
  receiveBufferSize(): number;
  send(buf: Buffer): void;
  /** Keep the process alive while open (default: not). */
  ref(on: boolean): void;
  close(): void;
}

interface Addon {
  open(protocol: number, cb: (datagrams: Buffer[] | null, errno: number) => void): unknown;
  rcvbuf(s: unknown, bytes: number, force: boolean): number;
  rcvbufSize(s: unknown): number;
  membership(s: unknown, group: number, add: boolean): number;
  send(s: unknown, buf: Buffer): number;
  port(s: unknown): number;
  ref(s: unknown, on: boolean): void;
  close(s: unknown): void;
}

let addon: Addon | null | undefined;
let loadError: string | undefined;

function nativeAddon(): Addon | undefined {
  if (addon !== undefined) return addon ?? undefined;
  const r = loadNativeAddon<Addon>('netlink');
  addon = 'addon' in r ? r.addon : null;
  loadError = 'error' in r ? r.error : undefined;
  return addon ?? undefined;
}

/** Why the native socket is not used (undefined when it is). */
export function nativeNetlinkError(): string | undefined {
  nativeAddon();
  return loadError;
}

class NativeSocket implements NetlinkSocket {
  readonly impl = 'native';
  private readonly handle: unknown;
  private onData: (d: Buffer[]) => void = () => {};
  private onErr: (e: NetlinkError) => void = () => {};
  private closed = false;

  constructor(
    private readonly a: Addon,
    protocol: number,
    private readonly what: string,
  ) {
    this.handle = a.open(protocol, (d, errno) => {
      if (this.closed) return;
      if (d) this.onData(d);
      else this.onErr(new NetlinkError(errno, `reading ${what}`));
    });
  }

  onDatagrams(fn: (d: Buffer[]) => void): void {
    this.onData = fn;
  }

  onError(fn: (e: NetlinkError) => void): void {
    this.onErr = fn;
  }

  private check(errno: number, op: string): void {
    if (errno !== 0) throw new NetlinkError(errno, `${op} on ${this.what}`);
  }

  join(group: number): void {
    this.check(this.a.membership(this.handle, group, true), `joining group ${group}`);
  }

  setReceiveBuffer(bytes: number, force: boolean): void {
    this.check(this.a.rcvbuf(this.handle, bytes, force), force ? 'SO_RCVBUFFORCE' : 'SO_RCVBUF');
  }

  receiveBufferSize(): number {
    return this.a.rcvbufSize(this.handle);
  }

  send(buf: Buffer): void {
    this.check(this.a.send(this.handle, buf), 'sending');
  }

  ref(on: boolean): void {
    if (!this.closed) this.a.ref(this.handle, on);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.a.close(this.handle);
  }
}

class PackageSocket implements NetlinkSocket {
  readonly impl = 'package';
  private readonly raw: RawNetlinkSocket;
  private onErr: (e: NetlinkError) => void = () => {};
  private closed = false;

  constructor(
    protocol: number,
    private readonly what: string,
  ) {
    this.raw = new RawNetlinkSocket(protocol);
    this.raw.unref();
  }

  onDatagrams(fn: (d: Buffer[]) => void): void {
    this.raw.on('message', (b: Buffer) => {
      if (!this.closed) fn([b]);
    });
  }

  onError(fn: (e: NetlinkError) => void): void {
    this.onErr = fn;
    this.raw.on('error', (e: Error & { errno?: number }) => {
      if (!this.closed) fn(new NetlinkError(e.errno ?? 5, `reading ${this.what}`, { cause: e }));
    });
  }

  private wrap(op: string, f: () => void): void {
    try {
      f();
    } catch (e) {
      throw new NetlinkError((e as { errno?: number }).errno ?? 5, `${op} on ${this.what}`, { cause: e });
    }
  }

  join(group: number): void {
    this.wrap(`joining group ${group}`, () => this.raw.addMembership(group));
  }

  setReceiveBuffer(bytes: number, _force: boolean): void {
    // The package has no SO_RCVBUFFORCE: rmem_max caps this.
    this.wrap('SO_RCVBUF', () => this.raw.setRecvBufferSize(bytes));
  }

  receiveBufferSize(): number {
    return this.raw.getRecvBufferSize();
  }

  /** The package sends asynchronously: a failure is reported to onError, as a read error would be. */
  send(buf: Buffer): void {
    this.raw.send(buf, { port: 0 }, (e?: Error & { errno?: number }) => {
      if (e && !this.closed) this.onErr(new NetlinkError(e.errno ?? 5, `sending on ${this.what}`, { cause: e }));
    });
  }

  ref(on: boolean): void {
    if (!this.closed) on ? this.raw.ref() : this.raw.unref();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.raw.close();
  }
}

/** A socket of `protocol` bound with a port the kernel chooses; `what` names it in errors. */
export function openNetlink(protocol: number, what: string): NetlinkSocket {
  const a = nativeAddon();
  return a ? new NativeSocket(a, protocol, what) : new PackageSocket(protocol, what);
}

let nextSeq = (Date.now() & 0xffff) << 8;

/**
 * One dump request (NLM_F_REQUEST | NLM_F_DUMP) of `type` with `payload` on a short-lived socket: the
 * messages it returns, or a NetlinkError (the kernel's errno, or ETIMEDOUT after `timeoutMs`).
 */
export function dump(protocol: number, type: number, payload: Buffer, what: string, timeoutMs = 5000): Promise<RxMessage[]> {
  return new Promise((resolve, reject) => {
    let s: NetlinkSocket;
    try {
      s = openNetlink(protocol, what);
    } catch (e) {
      reject(e);
      return;
    }
    nextSeq = (nextSeq + 1) >>> 0;
    const seq = nextSeq;
    const out: RxMessage[] = [];
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      s.close();
      if (err) reject(err);
      else resolve(out);
    };
    const timer = setTimeout(() => finish(new NetlinkError(110, what)), timeoutMs); // ETIMEDOUT
    s.onError((e) => finish(e));
    s.onDatagrams((ds) => {
      for (const d of ds) {
        for (const m of splitMessages(d)) {
          if (m.seq !== seq) continue;
          if (m.type === NLMSG_DONE || m.type === NLMSG_ERROR) {
            const errno = messageErrno(m) ?? 0;
            finish(errno ? new NetlinkError(errno, what) : undefined);
            return;
          }
          out.push(m);
        }
      }
    });
    s.ref(true);
    try {
      s.send(message(type, NLM_F_REQUEST | NLM_F_DUMP, seq, payload));
    } catch (e) {
      finish(e as Error);
    }
  });
}
