/**
 * Test doubles for the IPVS client: a netlink socket that records what is sent and delivers what a test
 * (or FakeIpvsKernel) answers, a manual clock, and a small in-memory IPVS that answers like
 * ip_vs_ctl.c does (EEXIST, ESRCH, ENOENT, dumps ended by NLMSG_DONE).
 */
import { CMD, CMD_ATTR, DEST_ATTR, INFO_ATTR, NLM_F_ACK, NLM_F_MULTI, NLMSG_DONE, NLMSG_ERROR, SVC_ATTR } from '../../../src/ipvs/constants.js';
import { AttrWriter, genlHeader, inner, splitMessages, type RxMessage } from '../../../src/ipvs/nlmsg.js';
import type { Clock, Transport } from '../../../src/ipvs/requester.js';

export const FAMILY = 0x1d;

/** One received request as the kernel sees it. */
export interface Req {
  seq: number;
  flags: number;
  cmd: number;
  attrs: Buffer;
}

export function parseRequests(bufs: Buffer[]): Req[] {
  return splitMessages(Buffer.concat(bufs)).map((m: RxMessage) => ({ seq: m.seq, flags: m.flags, cmd: m.payload[0]!, attrs: m.payload.subarray(4) }));
}

/** NLMSG_ERROR for `seq`: errno 0 is an ack. */
export function errorMsg(seq: number, errno = 0): Buffer {
  const b = Buffer.alloc(36);
  b.writeUInt32LE(36, 0);
  b.writeUInt16LE(NLMSG_ERROR, 4);
  b.writeUInt32LE(seq, 8);
  b.writeInt32LE(-errno, 16);
  return b;
}

export function doneMsg(seq: number, errno = 0): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(20, 0);
  b.writeUInt16LE(NLMSG_DONE, 4);
  b.writeUInt16LE(NLM_F_MULTI, 6);
  b.writeUInt32LE(seq, 8);
  b.writeInt32LE(-errno, 16);
  return b;
}

/** A generic netlink data message of the family carrying `attrs`. */
export function dataMsg(seq: number, cmd: number, attrs: Buffer, flags = 0): Buffer {
  return Buffer.concat([genlHeader(FAMILY, flags, seq, cmd, 1, attrs.length), attrs]);
}

export class FakeSocket implements Transport {
  /** Every sendmsg(): its buffers. */
  readonly sends: Buffer[][] = [];
  referenced = false;
  closed = false;
  /** Set to make the next sends fail. */
  sendError?: Error & { code?: string };
  /** Called for each sendmsg() after recording it (a fake kernel answers from here). */
  onSend?: (reqs: Req[]) => void;
  private message?: (d: Buffer) => void;
  private error?: (e: Error & { code?: string }) => void;

  send(bufs: Buffer[], cb: (err?: Error & { code?: string }) => void): void {
    this.sends.push(bufs);
    if (this.sendError) return cb(this.sendError);
    cb();
    this.onSend?.(parseRequests(bufs));
  }
  onMessage(fn: (d: Buffer) => void): void {
    this.message = fn;
  }
  onError(fn: (e: Error & { code?: string }) => void): void {
    this.error = fn;
  }
  ref(): void {
    this.referenced = true;
  }
  unref(): void {
    this.referenced = false;
  }
  close(): void {
    this.closed = true;
  }
  /** One datagram from the kernel. */
  deliver(...msgs: Buffer[]): void {
    this.message?.(Buffer.concat(msgs));
  }
  fail(code: string): void {
    this.error?.(Object.assign(new Error(code), { code }));
  }
  /** Every request sent so far, in order. */
  get requests(): Req[] {
    return this.sends.flatMap((b) => parseRequests(b));
  }
}

export class ManualClock implements Clock {
  t = 0;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private ids = 0;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== h);
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.fn();
    }
    this.t = end;
  }
  get pending(): number {
    return this.timers.length;
  }
}

/** The bytes of a nest's attributes (the identity the kernel looks entries up by). */
function keyOf(attrs: Buffer, nest: number, types: number[]): string | undefined {
  const a = inner(attrs, nest);
  return a && types.map((t) => a.get(t)?.toString('hex') ?? '-').join('|');
}

/**
 * An IPVS table answering requests synchronously, each datagram holding one answer as the kernel's
 * do. Services and destinations are kept as the attribute bytes they were added with, and dumped back
 * as they are (ip_vs_genl_fill_* writes the same attributes).
 */
export class FakeIpvsKernel {
  readonly services = new Map<string, { attrs: Buffer; dests: Map<string, Buffer> }>();
  schedulers = new Set(['rr', 'wrr', 'lc', 'wlc', 'sh', 'mh']);
  /** When false, requests get no answer at all. */
  answering = true;

  constructor(readonly socket: FakeSocket) {
    socket.onSend = (reqs) => {
      if (this.answering) for (const r of reqs) this.handle(r);
    };
  }

  private handle(r: Req): void {
    const s = this.socket;
    const svcKey = keyOf(r.attrs, CMD_ATTR.SERVICE, [SVC_ATTR.AF, SVC_ATTR.FWMARK, SVC_ATTR.PROTOCOL, SVC_ATTR.ADDR, SVC_ATTR.PORT]);
    const destKey = keyOf(r.attrs, CMD_ATTR.DEST, [DEST_ATTR.ADDR, DEST_ATTR.PORT]);
    const svc = svcKey === undefined ? undefined : this.services.get(svcKey);
    const answer = (errno: number) => {
      if (errno || r.flags & NLM_F_ACK) s.deliver(errorMsg(r.seq, errno));
    };
    const attrOf = (nest: number) => {
      const a = inner(r.attrs, nest);
      return a ? r.attrs.subarray(0, r.attrs.readUInt16LE(0)) : undefined;
    };
    switch (r.cmd) {
      case CMD.NEW_SERVICE: {
        const sched = inner(r.attrs, CMD_ATTR.SERVICE)?.get(SVC_ATTR.SCHED_NAME)?.toString().replace(/\0.*/s, '');
        if (svc) return answer(17); // EEXIST
        if (!sched || !this.schedulers.has(sched)) return answer(2); // ENOENT
        this.services.set(svcKey!, { attrs: attrOf(CMD_ATTR.SERVICE)!, dests: new Map() });
        return answer(0);
      }
      case CMD.SET_SERVICE:
        if (!svc) return answer(3); // ESRCH
        svc.attrs = attrOf(CMD_ATTR.SERVICE)!;
        return answer(0);
      case CMD.DEL_SERVICE:
        if (!svc) return answer(3);
        this.services.delete(svcKey!);
        return answer(0);
      case CMD.NEW_DEST:
      case CMD.SET_DEST:
      case CMD.DEL_DEST: {
        if (!svc) return answer(3);
        const exists = svc.dests.has(destKey!);
        if (r.cmd === CMD.NEW_DEST && exists) return answer(17);
        if (r.cmd !== CMD.NEW_DEST && !exists) return answer(2);
        const destAttr = r.attrs.subarray(r.attrs.readUInt16LE(0)); // the DEST nest follows the SERVICE nest
        if (r.cmd === CMD.DEL_DEST) svc.dests.delete(destKey!);
        else svc.dests.set(destKey!, Buffer.from(destAttr));
        return answer(0);
      }
      case CMD.FLUSH:
        this.services.clear();
        return answer(0);
      case CMD.GET_SERVICE:
        if (svcKey === undefined) {
          for (const v of this.services.values()) s.deliver(dataMsg(r.seq, CMD.NEW_SERVICE, v.attrs, NLM_F_MULTI));
          return s.deliver(doneMsg(r.seq));
        }
        if (!svc) return answer(3);
        s.deliver(dataMsg(r.seq, CMD.NEW_SERVICE, svc.attrs));
        return answer(0);
      case CMD.GET_DEST:
        for (const d of svc?.dests.values() ?? []) s.deliver(dataMsg(r.seq, CMD.NEW_DEST, d, NLM_F_MULTI));
        return s.deliver(doneMsg(r.seq));
      case CMD.GET_INFO:
        s.deliver(dataMsg(r.seq, CMD.SET_INFO, new AttrWriter().u32(INFO_ATTR.VERSION, 0x010201).u32(INFO_ATTR.CONN_TAB_SIZE, 4096).finish()));
        return answer(0);
      default:
        return answer(22); // EINVAL
    }
  }
}
