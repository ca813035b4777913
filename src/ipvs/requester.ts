/**
 * Generic netlink requests over one socket, pipelined (I/O-agnostic: the socket is a Transport, so a
 * fake kernel can stand in for it in tests).
 *
 * - Every request carries NLM_F_ACK and gets its own answer, matched by sequence number: an ack, an
 *   error (errno), or reply messages ended by an ack (doit) or by NLMSG_DONE (dumps). Opt-in
 *   exception, `batchAck`: see request().
 * - At most `window` requests are unanswered (acks overflowing the socket's receive buffer abort the
 *   process). Whatever the window allows goes out in one sendmsg(), in call order;
 *   the kernel runs a socket's messages in order.
 * - Every request has a deadline, `timeoutMs` after it was sent (socket errors otherwise leave
 *   requests hanging). When one passes, the kernel is taken to have stopped answering: that request
 *   and every one still queued fail with ETIMEDOUT.
 * - A socket error fails everything outstanding with the error's code.
 * Requests never reject: the answer says what happened.
 */
import { NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR } from './constants.js';
import { GENL_HDRLEN, genlHeader, messageErrno, splitMessages } from './nlmsg.js';
import { lateTimer, type LateTimer } from '../util/late-timer.js';
import type { Clock } from '../util/clock.js';

/** What this needs of a netlink socket: net/netlink/socket.ts in the daemon, a fake kernel in tests. */
export interface Transport {
  /** One sendmsg() carrying every buffer, in order. */
  send(bufs: Buffer[], cb: (err?: Error & { code?: string }) => void): void;
  onMessage(fn: (datagram: Buffer) => void): void;
  onError(fn: (err: Error & { code?: string }) => void): void;
  /** Keep the process alive while requests are outstanding, and only then. */
  ref(): void;
  unref(): void;
  close(): void;
}

export type { Clock };

// A deadline's check runs after the I/O polled in the same loop turn (util/late-timer.ts): an answer that
// arrived while this process was busy is read before its request is declared timed out.
const realClock: Clock = { now: () => performance.now(), setTimeout: lateTimer, clearTimeout: (h) => (h as LateTimer).cancel() };

export interface Answer {
  /** 0 = done; otherwise the errno name (EEXIST, ESRCH, ETIMEDOUT, ...). */
  errno: string | 0;
  /** The attributes (after the genl header) of each reply message, in order. */
  replies: Buffer[];
}

export interface RequesterOptions {
  familyId: number;
  version: number;
  /** Requests unanswered at most (default 64). */
  window?: number;
  /** Per-request deadline after sending (default 10 s). */
  timeoutMs?: number;
  clock?: Clock;
  /** errno number -> name (the client passes os.constants.errno reversed). */
  errnoName: (n: number) => string;
}

interface Pending {
  cmd: number;
  attrs: Buffer;
  dump: boolean;
  /** This request's own cap on requests in flight (ApplyOptions.window), under the socket's. */
  window: number;
  /** May go without NLM_F_ACK, answered by the ack of a later request of the same sendmsg(). */
  batchAck: boolean;
  /** The sendmsg() it went out in, and its place there (batch-ack settlement). */
  batch?: Batch;
  index: number;
  seq: number;
  deadline: number;
  replies: Buffer[];
  resolve: (a: Answer) => void;
}

interface Batch {
  items: Pending[];
  /** Items before this index are settled. */
  settled: number;
}

export class Requester {
  /** Netlink requests handed to the socket so far. */
  sent = 0;
  readonly window: number;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  /** BOUNDED by `window`: requests sent and not yet answered, in send order. */
  private readonly inFlight = new Map<number, Pending>();
  /** UNBOUNDED (the caller's batch size): requests waiting for room in the window. */
  private queue: Pending[] = [];
  private head = 0;
  private seq = 0;
  private timer: unknown;
  private referenced = false;
  private closed = false;
  private pumpQueued = false;

  constructor(
    private readonly transport: Transport,
    private readonly opts: RequesterOptions,
  ) {
    this.window = Math.max(1, opts.window ?? 64);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.clock = opts.clock ?? realClock;
    transport.onMessage((d) => this.receive(d));
    transport.onError((e) => this.failAll(e.code ?? 'EIO'));
  }

  /**
   * Queues one request; resolves with its answer, never rejects. `batchAck` (for requests answered by
   * an ack alone): ask no ack of it unless it is the last of its sendmsg(). The kernel reports an error
   * whether asked or not, and runs a socket's messages in order, so the ack of a later message of the
   * same sendmsg() means it succeeded. Fewer acks, fewer wake-ups; `window` still bounds the answers due.
   */
  request(cmd: number, attrs: Buffer, opts: { dump?: boolean; window?: number; batchAck?: boolean } = {}): Promise<Answer> {
    return new Promise<Answer>((resolve) => {
      if (this.closed) return resolve({ errno: 'EBADF', replies: [] });
      const window = Math.max(1, Math.min(this.window, opts.window ?? this.window));
      this.queue.push({ cmd, attrs, dump: !!opts.dump, window, batchAck: !!opts.batchAck && !opts.dump, index: 0, seq: 0, deadline: 0, replies: [], resolve });
      // Requests made in the same tick (a whole apply()) leave together, in one sendmsg() per window.
      if (!this.pumpQueued) {
        this.pumpQueued = true;
        queueMicrotask(() => {
          this.pumpQueued = false;
          this.pump();
        });
      }
    });
  }

  /** Fails what is outstanding and closes the socket. */
  close(): void {
    if (this.closed) return;
    this.failAll('EBADF');
    this.closed = true;
    this.transport.close();
  }

  get outstanding(): number {
    return this.inFlight.size + this.queue.length - this.head;
  }

  private nextSeq(): number {
    this.seq = this.seq >= 0x7fffffff ? 1 : this.seq + 1;
    return this.seq;
  }

  /** Sends as many queued requests as the window has room for, in one sendmsg(). */
  private pump(): void {
    const fits = () => this.head < this.queue.length && this.inFlight.size < this.queue[this.head]!.window;
    if (!fits()) return this.idle();
    const batch: Batch = { items: [], settled: 0 };
    const deadline = this.clock.now() + this.timeoutMs;
    while (fits()) {
      const p = this.queue[this.head++]!;
      p.seq = this.nextSeq();
      p.deadline = deadline;
      p.batch = batch;
      p.index = batch.items.length;
      this.inFlight.set(p.seq, p);
      batch.items.push(p);
    }
    const bufs: Buffer[] = [];
    const last = batch.items.length - 1;
    for (const p of batch.items) {
      const ack = p.batchAck && p.index < last ? 0 : NLM_F_ACK;
      bufs.push(genlHeader(this.opts.familyId, NLM_F_REQUEST | ack | (p.dump ? NLM_F_DUMP : 0), p.seq, p.cmd, this.opts.version, p.attrs.length), p.attrs);
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    if (!this.referenced) {
      this.referenced = true;
      this.transport.ref();
    }
    this.sent += batch.items.length;
    this.transport.send(bufs, (err) => {
      if (!err) return;
      for (const p of batch.items) this.settle(p, err.code ?? 'EIO');
      this.pump();
    });
    this.arm();
  }

  /** Unrefs the socket once nothing is outstanding. */
  private idle(): void {
    if (this.referenced && this.outstanding === 0) {
      this.referenced = false;
      if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
      this.timer = undefined;
      this.transport.unref();
    }
  }

  private settle(p: Pending, errno: string | 0): void {
    if (!this.inFlight.delete(p.seq)) return;
    p.resolve({ errno, replies: p.replies });
  }

  /** An answer to `p` means every batch-ack request sent before it in its sendmsg() without an error succeeded. */
  private settleEarlier(p: Pending): void {
    const b = p.batch;
    if (!b) return;
    for (; b.settled < p.index; b.settled++) {
      const q = b.items[b.settled]!;
      if (q.batchAck) this.settle(q, 0);
    }
  }

  private receive(datagram: Buffer): void {
    for (const m of splitMessages(datagram)) {
      const p = this.inFlight.get(m.seq);
      if (!p) continue; // late answer to a request that timed out, or noise
      if (m.type === NLMSG_ERROR || m.type === NLMSG_DONE) {
        // A dump ends at DONE; an ERROR ends anything. An ack (error 0) right after a DONE finds nothing.
        const e = messageErrno(m)!;
        this.settle(p, e === 0 ? 0 : this.opts.errnoName(e));
        this.settleEarlier(p);
      } else if (m.type === this.opts.familyId && m.payload.length >= GENL_HDRLEN) {
        p.replies.push(m.payload.subarray(GENL_HDRLEN));
      }
    }
    // Refill once half the window is free: a few large sendmsg() calls rather than one per ack.
    if (this.inFlight.size <= this.window >> 1) this.pump();
  }

  /** One timer, for the oldest request in flight (the first in send order). */
  private arm(): void {
    if (this.timer !== undefined) return;
    const first = this.inFlight.values().next();
    if (first.done) return;
    const ms = Math.max(0, first.value.deadline - this.clock.now());
    this.timer = this.clock.setTimeout(() => this.onTimer(), ms);
  }

  private onTimer(): void {
    this.timer = undefined;
    const now = this.clock.now();
    let expired = false;
    for (const p of this.inFlight.values()) {
      if (p.deadline > now) break;
      expired = true;
      this.settle(p, 'ETIMEDOUT');
    }
    if (expired) this.failQueued('ETIMEDOUT');
    this.arm();
    this.idle();
  }

  private failQueued(errno: string): void {
    const rest = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    for (const p of rest) p.resolve({ errno, replies: [] });
  }

  private failAll(errno: string): void {
    for (const p of [...this.inFlight.values()]) this.settle(p, errno);
    this.failQueued(errno);
    this.idle();
  }
}
