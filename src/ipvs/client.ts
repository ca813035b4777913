/**
 * IPVS over generic netlink (the edge): family resolution, requests with a bounded window, dumps on a
 * socket of their own, kernel errors as errno names with a message naming the entry.
 *
 * Pitfalls handled (see docs/architecture.md): too many requests in flight make the kernel drop acks
 * and the `netlink` package abort the process, so at most `window` are outstanding; a dump sharing a
 * socket with requests breaks, so dumps use `dumpSock` one at a time; every request has a timeout.
 */
import { constants as osConstants } from 'node:os';
import { createGenericNetlink, parseError, RawNetlinkSocket, type GenericNetlinkSocket } from 'netlink';
import { decodeDest, decodeInfo, decodeService, decodeTimeouts, encodeDest, encodeService, encodeServiceKey, encodeTimeouts, type DestReadback } from './codec.js';
import { CMD, IPVS_GENL_NAME, IPVS_GENL_VERSION, NLMSG_ERROR, NLM_F_DUMP } from './constants.js';
import { destKey, formatDest, formatService, serviceKey, type IpvsOp, type IpvsService, type IpvsStats, type IpvsTable, type IpvsTimeouts } from './types.js';

const ERRNO_NAMES = new Map<number, string>(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));
const TIMEOUT_MS = 10_000;
const NETLINK_GENERIC = 16;
const NLM_F_REQUEST = 1;
const NLM_F_ACK = 4;
/** Requests in flight at most, and per sendmsg(): acks must never overflow the receive buffer. */
const WINDOW = 128;
const BATCH = 64;

export interface OpResult {
  op: IpvsOp;
  ok: boolean;
  /** The kernel said the entry already existed (new-*) or was already gone (del-*): not a failure. */
  already?: boolean;
  errno?: string;
  message?: string;
}

export interface DumpedService {
  service: IpvsService;
  stats?: IpvsStats;
  dests: DestReadback[];
}

function isMissing(errno: string) {
  return errno === 'ESRCH' || errno === 'ENOENT';
}

/** What an error means for this op, in the words an operator needs. */
export function describeError(op: IpvsOp, errno: string): string {
  const svc = formatService(op.service);
  const what = 'dest' in op ? `real server ${formatDest(op.dest)} of ${svc}` : `virtual server ${svc}`;
  const verb = op.op.startsWith('new') ? 'adding' : op.op.startsWith('set') ? 'updating' : 'removing';
  let why = errno;
  if (errno === 'ENOENT' && (op.op === 'new-service' || op.op === 'set-service')) why = `unknown scheduler '${op.service.scheduler}' (kernel module ip_vs_${op.service.scheduler} not available?)`;
  else if (errno === 'ESRCH' && 'dest' in op) why = 'ESRCH: the virtual server does not exist';
  else if (errno === 'EINVAL' && 'dest' in op) why = 'EINVAL: the address is not a usable unicast destination (no route from this director?)';
  else if (errno === 'ERANGE') why = 'ERANGE: weight or thresholds out of range (lthreshold above uthreshold?)';
  else if (errno === 'EPERM') why = 'EPERM: needs CAP_NET_ADMIN';
  return `${verb} ${what} failed: ${why}`;
}

export class IpvsClient {
  /** Netlink requests sent since open (one per op, dump or query). */
  requestsSent = 0;
  private dumping: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly sock: GenericNetlinkSocket,
    private readonly dumpSock: GenericNetlinkSocket,
    readonly familyId: number,
  ) {}

  /** Resolves the IPVS family; an Error with code IPVS_UNAVAILABLE when the kernel has none. */
  static async open(): Promise<IpvsClient> {
    const sock = createGenericNetlink();
    const dumpSock = createGenericNetlink();
    for (const s of [sock, dumpSock]) s.socket.on('error', () => undefined); // surfaced per request (timeouts)
    try {
      const [fam] = await sock.ctrlRequest(3 /* CTRL_CMD_GETFAMILY */, { familyName: IPVS_GENL_NAME }, { timeout: TIMEOUT_MS });
      if (!fam?.familyId) throw new Error('no family id in the reply');
      return new IpvsClient(sock, dumpSock, fam.familyId);
    } catch (e) {
      sock.socket.close();
      dumpSock.socket.close();
      const err = new Error(`IPVS not available: load the ip_vs module (${(e as Error).message})`) as Error & { code: string };
      err.code = 'IPVS_UNAVAILABLE';
      throw err;
    }
  }

  /** One request on the request socket; resolves with the negative errno (0 = ack). */
  private async call(cmd: number, payload: Buffer): Promise<number> {
    this.requestsSent++;
    const hdr = Buffer.from([cmd, IPVS_GENL_VERSION, 0, 0]);
    const [msgs] = await this.sock.socket.request(this.familyId, [hdr, payload], { checkError: false, timeout: TIMEOUT_MS });
    const m = msgs[0];
    if (!m || m.type !== NLMSG_ERROR) return 0;
    return parseError(m.data, m.flags).errno;
  }

  /** A dump (serialised, on the dump socket): the payloads after the genl header. */
  private dumpCmd(cmd: number, payload: Buffer, isDump = true): Promise<Buffer[]> {
    const run = this.dumping.then(async () => {
      this.requestsSent++;
      const hdr = Buffer.from([cmd, IPVS_GENL_VERSION, 0, 0]);
      const [msgs] = await this.dumpSock.socket.request(this.familyId, [hdr, payload], { ...(isDump ? { flags: NLM_F_DUMP } : {}), timeout: TIMEOUT_MS });
      return msgs.filter((m) => m.type === this.familyId).map((m) => m.data.subarray(4));
    });
    this.dumping = run.catch(() => undefined);
    return run;
  }

  private payload(op: IpvsOp, keys?: Map<string, Buffer>): [number, Buffer] {
    if (keys && 'dest' in op) {
      const k = serviceKey(op.service);
      let key = keys.get(k);
      if (!key) keys.set(k, (key = encodeServiceKey(op.service)));
      const cmd = op.op === 'new-dest' ? CMD.NEW_DEST : op.op === 'set-dest' ? CMD.SET_DEST : CMD.DEL_DEST;
      return [cmd, Buffer.concat([key, encodeDest(op.dest, op.op !== 'del-dest')])];
    }
    switch (op.op) {
      case 'new-service':
        return [CMD.NEW_SERVICE, encodeService(op.service)];
      case 'set-service':
        return [CMD.SET_SERVICE, encodeService(op.service)];
      case 'del-service':
        return [CMD.DEL_SERVICE, encodeServiceKey(op.service)];
      case 'new-dest':
        return [CMD.NEW_DEST, Buffer.concat([encodeServiceKey(op.service), encodeDest(op.dest)])];
      case 'set-dest':
        return [CMD.SET_DEST, Buffer.concat([encodeServiceKey(op.service), encodeDest(op.dest)])];
      case 'del-dest':
        return [CMD.DEL_DEST, Buffer.concat([encodeServiceKey(op.service), encodeDest(op.dest, false)])];
    }
  }

  private raw?: RawNetlinkSocket;
  private seq = 1;

  /** One netlink message: header (len, type, flags, seq, port 0), genl header, attributes. */
  private message(op: IpvsOp, seq: number, keys: Map<string, Buffer>): Buffer {
    const [cmd, payload] = this.payload(op, keys);
    const hdr = Buffer.alloc(20);
    hdr.writeUInt32LE(20 + payload.length, 0);
    hdr.writeUInt16LE(this.familyId, 4);
    hdr.writeUInt16LE(NLM_F_REQUEST | NLM_F_ACK, 6);
    hdr.writeUInt32LE(seq, 8);
    hdr.writeUInt32LE(0, 12);
    hdr.writeUInt8(cmd, 16);
    hdr.writeUInt8(IPVS_GENL_VERSION, 17);
    return Buffer.concat([hdr, payload]);
  }

  /**
   * Sends `ops` in order (the kernel processes them in order), BATCH messages per sendmsg() and at most
   * WINDOW not yet acknowledged; answers are matched by sequence number. Adding what exists and deleting
   * what is gone count as done.
   */
  apply(ops: IpvsOp[]): Promise<OpResult[]> {
    const results: OpResult[] = new Array(ops.length);
    if (ops.length === 0) return Promise.resolve(results);
    this.raw ??= new RawNetlinkSocket(NETLINK_GENERIC, { recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    const raw = this.raw;
    const pending = new Map<number, number>(); // seq -> op index
    let next = 0;
    let done = 0;
    // Every message is built before the first is sent: the kernel's table is half-programmed only for
    // as long as the sending takes. Sequence numbers are consecutive from seq0.
    const seq0 = this.seq;
    const keys = new Map<string, Buffer>();
    const built = ops.map((op, i) => this.message(op, ((seq0 + i - 1) % 0x7fffffff) + 1, keys));
    this.seq = ((seq0 + ops.length - 1) % 0x7fffffff) + 1;
    return new Promise<OpResult[]>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let lastProgress = Date.now();
      const finish = () => {
        clearInterval(timer);
        raw.off('message', onMessage);
        raw.off('error', onError);
        raw.unref();
        resolve(results);
      };
      const settle = (i: number, e: number) => {
        const op = ops[i]!;
        done++;
        if (e === 0) results[i] = { op, ok: true };
        else {
          const errno = ERRNO_NAMES.get(-e) ?? `errno ${-e}`;
          if ((op.op.startsWith('new') && errno === 'EEXIST') || (op.op.startsWith('del') && isMissing(errno))) results[i] = { op, ok: true, already: true, errno };
          else results[i] = { op, ok: false, errno, message: describeError(op, errno) };
        }
      };
      // One timer for the whole batch: no answer for TIMEOUT_MS fails what is outstanding.
      const watchdog = () => {
        timer = setInterval(() => {
          if (Date.now() - lastProgress < TIMEOUT_MS) return;
          for (const i of pending.values()) results[i] = { op: ops[i]!, ok: false, errno: 'ETIMEDOUT', message: describeError(ops[i]!, 'ETIMEDOUT: no answer from the kernel') };
          for (let i = next; i < ops.length; i++) results[i] = { op: ops[i]!, ok: false, errno: 'ETIMEDOUT', message: describeError(ops[i]!, 'not sent: the kernel stopped answering') };
          finish();
        }, 1000);
      };
      // Only the last message of each sendmsg() asks for an ack; the kernel reports a failing message
      // whether asked or not, and handles a socket's messages in order, so the batch's ack means every
      // message before it without an error report succeeded. Fewer acks, fewer wake-ups.
      const batchEnd = new Map<number, [number, number]>(); // seq of the last message -> [first, last] index
      let unacked = 0;
      const pump = () => {
        while (next < ops.length && unacked < WINDOW) {
          const first = next;
          const msgs: Buffer[] = [];
          while (next < ops.length && msgs.length < BATCH) {
            const m = built[next]!;
            m.writeUInt16LE(NLM_F_REQUEST, 6);
            pending.set(m.readUInt32LE(8), next);
            msgs.push(m);
            next++;
          }
          const last = msgs[msgs.length - 1]!;
          last.writeUInt16LE(NLM_F_REQUEST | NLM_F_ACK, 6);
          batchEnd.set(last.readUInt32LE(8), [first, next - 1]);
          unacked += msgs.length;
          this.requestsSent += msgs.length;
          raw.send(msgs);
        }
        if (done === ops.length) finish();
      };
      const onMessage = (buf: Buffer) => {
        for (let off = 0; off + 16 <= buf.length; ) {
          const len = buf.readUInt32LE(off);
          if (len < 16) break;
          const type = buf.readUInt16LE(off + 4);
          const seq = buf.readUInt32LE(off + 8);
          const i = pending.get(seq);
          if (type === NLMSG_ERROR && i !== undefined && off + 20 <= buf.length) {
            const errno = buf.readInt32LE(off + 16);
            if (errno !== 0) {
              pending.delete(seq);
              settle(i, errno);
            }
            const range = batchEnd.get(seq);
            if (range) {
              batchEnd.delete(seq);
              for (let j = range[0]; j <= range[1]; j++) {
                if (results[j] === undefined) settle(j, 0);
                pending.delete(((seq0 + j - 1) % 0x7fffffff) + 1);
              }
              unacked -= range[1] - range[0] + 1;
            }
          }
          off += (len + 3) & ~3;
        }
        lastProgress = Date.now();
        pump();
      };
      const onError = (e: Error) => {
        for (const i of pending.values()) results[i] = { op: ops[i]!, ok: false, errno: 'EIO', message: describeError(ops[i]!, `socket error: ${e.message}`) };
        pending.clear();
        for (let i = next; i < ops.length; i++) results[i] = { op: ops[i]!, ok: false, errno: 'EIO', message: describeError(ops[i]!, `not sent: socket error: ${e.message}`) };
        finish();
      };
      raw.on('message', onMessage);
      raw.on('error', onError);
      raw.ref();
      watchdog();
      pump();
    });
  }

  /** Every service with its destinations and counters. */
  async dump(): Promise<DumpedService[]> {
    const out: DumpedService[] = [];
    for (const p of await this.dumpCmd(CMD.GET_SERVICE, Buffer.alloc(0))) {
      const s = decodeService(p);
      if (!s) continue;
      const dests = (await this.dumpCmd(CMD.GET_DEST, encodeServiceKey(s.service))).map((d) => decodeDest(d, s.service.af)).filter((d) => d !== undefined);
      out.push({ ...s, dests });
    }
    return out;
  }

  /** The kernel's table in the reconciler's terms. */
  async dumpTable(): Promise<IpvsTable> {
    const table: IpvsTable = new Map();
    for (const s of await this.dump()) table.set(serviceKey(s.service), { service: s.service, dests: new Map(s.dests.map((d) => [destKey(d.dest), d.dest])) });
    return table;
  }

  async getInfo(): Promise<{ version: number; connTableSize: number } | undefined> {
    const [p] = await this.dumpCmd(CMD.GET_INFO, Buffer.alloc(0), false).catch(() => [] as Buffer[]);
    return p ? decodeInfo(p) : undefined;
  }

  async getTimeouts(): Promise<IpvsTimeouts | undefined> {
    const [p] = await this.dumpCmd(CMD.GET_CONFIG, Buffer.alloc(0), false).catch(() => [] as Buffer[]);
    return p ? decodeTimeouts(p) : undefined;
  }

  /** Sets connection timeouts; throws with the errno name on failure. */
  async setTimeouts(t: IpvsTimeouts): Promise<void> {
    const e = await this.call(CMD.SET_CONFIG, encodeTimeouts(t));
    if (e) throw new Error(`setting IPVS timeouts failed: ${ERRNO_NAMES.get(-e) ?? e}`);
  }

  /** Removes every virtual server (ipvsadm -C). */
  async flush(): Promise<void> {
    const e = await this.call(CMD.FLUSH, Buffer.alloc(0));
    if (e) throw new Error(`flushing IPVS failed: ${ERRNO_NAMES.get(-e) ?? e}`);
  }

  close(): void {
    this.raw?.close();
    this.sock.socket.close();
    this.dumpSock.socket.close();
  }
}
