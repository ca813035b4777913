/**
 * IPVS over generic netlink (the edge): resolves the "IPVS" family, then talks to it over two netlink
 * sockets of our own (net/netlink/socket.ts), each driven by a Requester (requester.ts):
 *  - the request socket: apply() and the single requests (flush, timeouts, info), at most `window`
 *    unanswered; apply() asks one ack per sendmsg() (errors still come back one per failed request);
 *  - the dump socket: GET_SERVICE / GET_DEST / GET_DAEMON dumps, one at a time (an ack landing inside
 *    a multipart dump breaks it, and a second concurrent dump gets EBUSY).
 * Kernel errors come back as errno names with an explanation naming the entry (explain.ts).
 */
import { debuglog } from 'node:util';
import type { NetlinkError } from '../net/netlink/errors.js';
import { openNetlink } from '../net/netlink/socket.js';
import {
  decodeDaemon,
  decodeDest,
  decodeInfo,
  decodeService,
  decodeTimeouts,
  encodeOp,
  request,
  type DestReadback,
  type IpvsRequest,
  type KeyCache,
  type SyncDaemon,
} from './codec.js';
import {
  cmdName,
  CTRL_ATTR_FAMILY_ID,
  CTRL_ATTR_FAMILY_NAME,
  CTRL_CMD_GETFAMILY,
  GENL_ID_CTRL,
  IPVS_GENL_NAME,
  IPVS_GENL_VERSION,
  NETLINK_GENERIC,
} from './constants.js';
import { AttrWriter, parseAttrs, rdU16 } from './nlmsg.js';
import { notSent, opResult, osErrnoName, type OpResult } from './explain.js';
import { Requester, type Answer, type Clock, type Transport } from './requester.js';
import { destKey, serviceKey, type IpvsOp, type IpvsService, type IpvsStats, type IpvsTable, type IpvsTimeouts, type ServiceKey } from './types.js';
import { errorText } from '../util/errors.js';

export type { OpResult } from './explain.js';
export type { DestReadback } from './codec.js';

const debug = debuglog('tskeepalived:ipvs');

/**
 * 'batch' (the default): only the last op of each sendmsg() asks for an ack; a failing op is still
 * reported on its own, under its own sequence number (netlink_rcv_skb acks errors unasked), and since
 * the kernel runs a socket's messages in order, the last op's ack vouches for the ops before it that
 * got no error. 'each': every op asks for its own ack (one more message to read per op). Measured in
 * the VM lab (qemu TCG, Linux 6.1, window 64, 1,000 services x 10 destinations, encoding included):
 * 4.0-5.1 s with 'each', 2.3-2.7 s with 'batch'.
 */
export type AckMode = 'each' | 'batch';

export interface IpvsClientOptions {
  /** Requests unanswered at most on the request socket (default 64). */
  window?: number;
  /** Default ack mode of apply() (default 'batch'). */
  ack?: AckMode;
  /** Deadline of each request after it is sent, and of the family lookup (default 10,000 ms). */
  timeoutMs?: number;
  clock?: Clock;
}

export interface ApplyOptions {
  /** A smaller window for this call only. */
  window?: number;
  ack?: AckMode;
}

export interface DumpedService {
  service: IpvsService;
  stats?: IpvsStats;
  dests: DestReadback[];
}

/** A request the kernel refused or did not answer; `errno` is the name (ESRCH, ETIMEDOUT, ...). */
export class IpvsRequestError extends Error {
  readonly code = 'IPVS_REQUEST_FAILED';
  constructor(
    readonly cmd: string,
    readonly errno: string,
    what: string,
  ) {
    super(`${what} failed: ${errno} (${cmd})`);
  }
}

/**
 * A netlink socket of our own (net/netlink/socket.ts) as a Transport, unreferenced until a request is
 * outstanding. One sendmsg() per call: the buffers go out as one datagram, which the kernel runs message by
 * message in order.
 */
export function socketTransport(what: string): Transport {
  const s = openNetlink(NETLINK_GENERIC, what);
  s.setReceiveBuffer(1 << 20, false);
  return {
    send: (bufs, cb) => {
      try {
        s.send(bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs));
      } catch (e) {
        process.nextTick(cb, e as NetlinkError);
        return;
      }
      process.nextTick(cb);
    },
    onMessage: (fn) =>
      s.onDatagrams((ds) => {
        for (const d of ds) fn(d);
      }),
    onError: (fn) => s.onError(fn),
    ref: () => s.ref(true),
    unref: () => s.ref(false),
    close: () => s.close(),
  };
}

/** The error open() throws when the kernel has no IPVS family. */
function unavailable(cause: unknown): Error & { code: 'IPVS_UNAVAILABLE' } {
  const why = cause instanceof Error ? cause.message : String(cause);
  const err = new Error(`IPVS not available: load the ip_vs module (${why})`, { cause }) as Error & { code: 'IPVS_UNAVAILABLE' };
  err.code = 'IPVS_UNAVAILABLE';
  return err;
}

export class IpvsClient {
  private readonly req: Requester;
  private readonly dumps: Requester;
  private readonly ack: AckMode;

  /** Use open(); this takes ready transports (tests give it a fake kernel). */
  constructor(
    readonly familyId: number,
    reqTransport: Transport,
    dumpTransport: Transport,
    opts: IpvsClientOptions = {},
  ) {
    const common = {
      familyId,
      version: IPVS_GENL_VERSION,
      errnoName: osErrnoName,
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
    };
    this.req = new Requester(reqTransport, { ...common, window: opts.window ?? 64 });
    this.ack = opts.ack ?? 'batch';
    this.dumps = new Requester(dumpTransport, { ...common, window: 1 });
  }

  /** Resolves the IPVS family; throws an Error with code IPVS_UNAVAILABLE when the kernel has none. */
  static async open(opts: IpvsClientOptions = {}): Promise<IpvsClient> {
    let familyId: number;
    let ctrl: Requester | undefined;
    try {
      // The generic netlink controller answers CTRL_CMD_GETFAMILY with the family's attributes.
      ctrl = new Requester(socketTransport('the generic netlink controller socket'), {
        familyId: GENL_ID_CTRL,
        version: 1,
        window: 1,
        errnoName: osErrnoName,
        timeoutMs: opts.timeoutMs ?? 10_000,
      });
      const a = await ctrl.request(CTRL_CMD_GETFAMILY, new AttrWriter().str(CTRL_ATTR_FAMILY_NAME, IPVS_GENL_NAME).finish());
      if (a.errno !== 0) throw new Error(a.errno === 'ENOENT' ? 'no IPVS family in this kernel (ENOENT)' : `the family lookup failed: ${a.errno}`);
      const id = rdU16(parseAttrs(a.replies[0] ?? Buffer.alloc(0))?.get(CTRL_ATTR_FAMILY_ID));
      if (!id) throw new Error('no family id in the reply');
      familyId = id;
    } catch (e) {
      throw unavailable(e);
    } finally {
      ctrl?.close();
    }
    return new IpvsClient(familyId, socketTransport('the IPVS request socket'), socketTransport('the IPVS dump socket'), opts);
  }

  /** Netlink requests sent since open: one per op, dump, or query. */
  get requestsSent(): number {
    return this.req.sent + this.dumps.sent;
  }

  /**
   * Sends `ops` in order (the kernel runs them in order), at most `window` unanswered; one result per
   * op, in the same order. Adding what exists and removing what is gone are `ok` with `already`.
   */
  async apply(ops: IpvsOp[], opts: ApplyOptions = {}): Promise<OpResult[]> {
    const keys: KeyCache = new WeakMap();
    const reqOpts = { batchAck: (opts.ack ?? this.ack) === 'batch', ...(opts.window ? { window: opts.window } : {}) };
    const answers = ops.map((op): Promise<Answer> | string => {
      let r: IpvsRequest;
      try {
        r = encodeOp(op, keys);
      } catch (e) {
        return errorText(e); // not sent: a value no kernel accepts
      }
      return this.req.request(r.cmd, r.attrs, reqOpts);
    });
    const results: OpResult[] = [];
    /** BOUNDED by the services in `ops`: why adding a service failed, for its destinations' errors. */
    const failedServices = new Map<string, string>();
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      const a = answers[i]!;
      if (typeof a === 'string') {
        results.push(notSent(op, a));
        continue;
      }
      const { errno } = await a;
      const why = 'dest' in op && errno === 'ESRCH' ? failedServices.get(serviceKey(op.service)) : undefined;
      const r = opResult(op, errno, why ? ` (adding it failed: ${why})` : '');
      if (!r.ok && op.op === 'new-service') failedServices.set(serviceKey(op.service), r.errno!);
      results.push(r);
    }
    return results;
  }

  /** Every service with its counters and destinations (one GET_SERVICE dump, then one GET_DEST dump per service). */
  async dumpWithStats(): Promise<DumpedService[]> {
    const replies = await this.dump(request.getServices(), 'listing the virtual servers');
    const services = replies.map(decodeService).filter((s) => s !== undefined);
    if (services.length < replies.length) debug('%d undecodable GET_SERVICE replies skipped', replies.length - services.length);
    // Queued together, sent one at a time by the dump socket's window of 1.
    const destReplies = await Promise.all(services.map((s) => this.dump(request.getDests(s.service), 'listing the real servers')));
    return services.map((s, i) => ({ ...s, dests: destReplies[i]!.map((d) => decodeDest(d, s.service.af)).filter((d) => d !== undefined) }));
  }

  /** The kernel's table in the reconciler's terms (no counters). */
  async dumpTable(): Promise<IpvsTable> {
    const table: IpvsTable = new Map();
    for (const s of await this.dumpWithStats()) {
      table.set(serviceKey(s.service), { service: s.service, dests: new Map(s.dests.map((d) => [destKey(d.dest), d.dest])) });
    }
    return table;
  }

  /** One service with its counters; undefined when the kernel has no such service (ESRCH). */
  async getService(key: ServiceKey): Promise<{ service: IpvsService; stats?: IpvsStats } | undefined> {
    const r = request.getService(key);
    const a = await this.req.request(r.cmd, r.attrs);
    if (a.errno === 'ESRCH') return undefined;
    return this.decoded(r, a, 'reading a virtual server', decodeService);
  }

  async getInfo(): Promise<{ version: number; connTableSize: number }> {
    const r = request.getInfo();
    return this.decoded(r, await this.req.request(r.cmd, r.attrs), 'reading IPVS info', decodeInfo);
  }

  async getTimeouts(): Promise<IpvsTimeouts> {
    const r = request.getConfig();
    return this.decoded(r, await this.req.request(r.cmd, r.attrs), 'reading IPVS timeouts', decodeTimeouts);
  }

  /** Sets the connection timeouts in seconds (0 leaves one unchanged). */
  setTimeouts(t: IpvsTimeouts): Promise<void> {
    return this.call(request.setConfig(t), 'setting IPVS timeouts');
  }

  /** Removes every virtual server (ipvsadm -C). */
  flush(): Promise<void> {
    return this.call(request.flush(), 'flushing IPVS');
  }

  /** Starts the connection synchronisation daemon (lvs_sync_daemon). */
  startDaemon(d: SyncDaemon): Promise<void> {
    return this.call(request.newDaemon(d), `starting the ${d.state} sync daemon`);
  }

  stopDaemon(state: SyncDaemon['state']): Promise<void> {
    return this.call(request.delDaemon(state), `stopping the ${state} sync daemon`);
  }

  async getDaemons(): Promise<SyncDaemon[]> {
    return (await this.dump(request.getDaemons(), 'listing the sync daemons')).map(decodeDaemon).filter((d) => d !== undefined);
  }

  /** Fails whatever is outstanding and closes both sockets. */
  close(): void {
    this.req.close();
    this.dumps.close();
  }

  private async call(r: IpvsRequest, what: string): Promise<void> {
    const a = await this.req.request(r.cmd, r.attrs);
    if (a.errno) throw new IpvsRequestError(cmdName(r.cmd), a.errno, what);
  }

  private async dump(r: IpvsRequest, what: string): Promise<Buffer[]> {
    const a = await this.dumps.request(r.cmd, r.attrs, { dump: true });
    if (a.errno) throw new IpvsRequestError(cmdName(r.cmd), a.errno, what);
    return a.replies;
  }

  private decoded<T>(r: IpvsRequest, a: Answer, what: string, decode: (b: Buffer) => T | undefined): T {
    if (a.errno) throw new IpvsRequestError(cmdName(r.cmd), a.errno, what);
    const v = a.replies[0] && decode(a.replies[0]);
    if (v === undefined) throw new IpvsRequestError(cmdName(r.cmd), 'EPROTO', `${what} (no decodable reply)`);
    return v;
  }
}
