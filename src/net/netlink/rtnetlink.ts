/**
 * Netlink layer, edge: rtnetlink requests (addresses, routes, rules, links) that answer with the kernel's
 * errno. Messages are laid out by the `netlink` package's rtnetlink tables (formatAddressMessage and the
 * like); the socket, the matching of answers by sequence number, the time limit and the errors are ours:
 * a refusal is a NetlinkError whose `code` (EEXIST, ESRCH, ...) callers test.
 *
 * Every request asks for an ack (NLM_F_ACK) and gets one answer. Requests share one socket, opened on the
 * first one; it keeps the process alive only while answers are awaited. A request unanswered after
 * `timeoutMs` fails with ETIMEDOUT (the kernel always answers; this bounds a hung socket).
 */
import { AttrStream, rt } from 'netlink';
import { NetlinkError } from './errors.js';
import { message, messageErrno, NLM_F_ACK, NLM_F_REQUEST, NLMSG_ERROR, splitMessages } from './message.js';
import { NETLINK_ROUTE, openNetlink, type NetlinkSocket } from './socket.js';

export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;

/** RTM_* message types used here (include/uapi/linux/rtnetlink.h). */
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_SETLINK = 19;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_NEWRULE = 32;
export const RTM_DELRULE = 33;

/** The fields of one rtnetlink message: the family header (`data`) and the attributes, as the package names them. */
export interface RtFields {
  data: object;
  attrs: object;
}

type Formatter = 'address' | 'link' | 'route' | 'rule';

/** The message body of `fields` laid out by the package's table for `kind`. */
function body(kind: Formatter, f: RtFields): Buffer {
  const out = new AttrStream();
  // The package's formatters take its own typed records; ours are built by pure code elsewhere (rtnl.ts,
  // routes.ts, vmac.ts) with the same field names. This is the one place the two meet.
  const x = { kind, data: f.data, attrs: f.attrs } as never;
  if (kind === 'address') rt.formatAddressMessage(x, out);
  else if (kind === 'link') rt.formatLinkMessage(x, out);
  else if (kind === 'route') rt.formatRouteMessage(x, out);
  else rt.formatRuleMessage(x, out);
  return Buffer.concat(out.bufs);
}

interface Pending {
  resolve(): void;
  reject(e: NetlinkError): void;
  timer: NodeJS.Timeout;
  op: string;
}

export class RtnlClient {
  private sock: NetlinkSocket | undefined;
  private readonly pending = new Map<number, Pending>();
  private seq = (Date.now() & 0xffff) << 12;

  constructor(private readonly timeoutMs = 10_000) {}

  private socket(): NetlinkSocket {
    if (this.sock) return this.sock;
    const s = openNetlink(NETLINK_ROUTE, 'an rtnetlink request socket');
    s.onDatagrams((ds) => {
      for (const d of ds) {
        for (const m of splitMessages(d)) {
          if (m.type !== NLMSG_ERROR) continue;
          const p = this.pending.get(m.seq);
          if (!p) continue;
          const errno = messageErrno(m) ?? 0;
          this.settle(m.seq, errno ? new NetlinkError(errno, p.op) : undefined);
        }
      }
    });
    s.onError((e) => {
      for (const seq of [...this.pending.keys()]) this.settle(seq, new NetlinkError(e.errno, this.pending.get(seq)!.op, { cause: e }));
    });
    this.sock = s;
    return s;
  }

  private settle(seq: number, err: NetlinkError | undefined): void {
    const p = this.pending.get(seq);
    if (!p) return;
    this.pending.delete(seq);
    clearTimeout(p.timer);
    if (this.pending.size === 0) this.sock?.ref(false);
    if (err) p.reject(err);
    else p.resolve();
  }

  /** One request of `type` with `flags` (beyond REQUEST | ACK); resolves on the ack. `op` names it in errors. */
  request(type: number, flags: number, payload: Buffer, op: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = this.socket();
      this.seq = (this.seq + 1) >>> 0;
      const seq = this.seq;
      const timer = setTimeout(() => this.settle(seq, new NetlinkError(110, op)), this.timeoutMs); // ETIMEDOUT
      this.pending.set(seq, { resolve, reject, timer, op });
      s.ref(true);
      try {
        s.send(message(type, NLM_F_REQUEST | NLM_F_ACK | flags, seq, payload));
      } catch (e) {
        this.settle(seq, e instanceof NetlinkError ? e : new NetlinkError(5, op, { cause: e }));
      }
    });
  }

  newAddress(f: RtFields, op: string): Promise<void> {
    return this.request(RTM_NEWADDR, 0, body('address', f), op);
  }

  delAddress(f: RtFields, op: string): Promise<void> {
    return this.request(RTM_DELADDR, 0, body('address', f), op);
  }

  /** With NLM_F_CREATE | NLM_F_EXCL: EEXIST when it is there. */
  newRoute(f: RtFields, op: string): Promise<void> {
    return this.request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, body('route', f), op);
  }

  delRoute(f: RtFields, op: string): Promise<void> {
    return this.request(RTM_DELROUTE, 0, body('route', f), op);
  }

  /** With NLM_F_CREATE | NLM_F_EXCL: EEXIST when it is there. */
  newRule(f: RtFields, op: string): Promise<void> {
    return this.request(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, body('rule', f), op);
  }

  delRule(f: RtFields, op: string): Promise<void> {
    return this.request(RTM_DELRULE, 0, body('rule', f), op);
  }

  /** With NLM_F_CREATE | NLM_F_EXCL: EEXIST when a link of that name is there. */
  newLink(f: RtFields, op: string): Promise<void> {
    return this.request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, body('link', f), op);
  }

  setLink(f: RtFields, op: string): Promise<void> {
    return this.request(RTM_SETLINK, 0, body('link', f), op);
  }

  delLink(f: RtFields, op: string): Promise<void> {
    return this.request(RTM_DELLINK, 0, body('link', f), op);
  }

  /** Fails what is still awaited (ECANCELED) and closes the socket. */
  close(): void {
    for (const [seq, p] of [...this.pending]) this.settle(seq, new NetlinkError(125, p.op));
    this.sock?.close();
    this.sock = undefined;
  }
}
