/**
 * IPVS over generic netlink (the edge): family resolution, requests with a bounded window, dumps on a
 * socket of their own, kernel errors as errno names with a message naming the entry.
 *
 * Pitfalls handled (see docs/architecture.md): too many requests in flight make the kernel drop acks
 * and the `netlink` package abort the process, so at most `window` are outstanding; a dump sharing a
 * socket with requests breaks, so dumps use `dumpSock` one at a time; every request has a timeout.
 */
import { constants as osConstants } from 'node:os';
import { createGenericNetlink, parseError, type GenericNetlinkSocket } from 'netlink';
import { decodeDest, decodeInfo, decodeService, decodeTimeouts, encodeDest, encodeService, encodeServiceKey, encodeTimeouts, type DestReadback } from './codec.js';
import { CMD, IPVS_GENL_NAME, IPVS_GENL_VERSION, NLMSG_ERROR, NLM_F_DUMP } from './constants.js';
import { destKey, formatDest, formatService, serviceKey, type IpvsOp, type IpvsService, type IpvsStats, type IpvsTable, type IpvsTimeouts } from './types.js';

const ERRNO_NAMES = new Map<number, string>(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));
const TIMEOUT_MS = 10_000;

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

  private payload(op: IpvsOp): [number, Buffer] {
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

  /**
   * Sends `ops` in order with at most `window` in flight (the kernel processes them in order). Adding
   * what exists and deleting what is gone count as done.
   */
  async apply(ops: IpvsOp[], window = 64): Promise<OpResult[]> {
    const results: OpResult[] = new Array(ops.length);
    let next = 0;
    const worker = async () => {
      while (next < ops.length) {
        const i = next++;
        const op = ops[i]!;
        const [cmd, payload] = this.payload(op);
        let errno: string;
        try {
          const e = await this.call(cmd, payload);
          if (e === 0) {
            results[i] = { op, ok: true };
            continue;
          }
          errno = ERRNO_NAMES.get(-e) ?? `errno ${-e}`;
        } catch (err) {
          results[i] = { op, ok: false, errno: 'ETIMEDOUT', message: `${describeError(op, 'no answer')}: ${(err as Error).message}` };
          continue;
        }
        if ((op.op.startsWith('new') && errno === 'EEXIST') || (op.op.startsWith('del') && isMissing(errno))) results[i] = { op, ok: true, already: true, errno };
        else results[i] = { op, ok: false, errno, message: describeError(op, errno) };
      }
    };
    await Promise.all(Array.from({ length: Math.min(window, ops.length) }, worker));
    return results;
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
    this.sock.socket.close();
    this.dumpSock.socket.close();
  }
}
