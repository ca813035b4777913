/**
 * Net layer, edge: virtual addresses over rtnetlink (RTM_NEWADDR / RTM_DELADDR), requests through
 * netlink/rtnetlink.ts. Adding an address that is there, or removing one that is gone, is not an error: the caller
 * states what it wants, not what it believes the kernel has. Nothing but the given addresses is touched.
 */
import * as fs from 'node:fs';
import { codeOf } from './netlink/errors.js';
import { RtnlClient } from './netlink/rtnetlink.js';
import { ipToBytes } from './ip.js';
import { ifIndex } from './iface.js';
import { errorText } from '../util/errors.js';

export interface VipSpec {
  address: string;
  prefixLen: number;
  dev: string;
  label?: string;
  broadcast?: string;
  family: 'inet' | 'inet6';
  /** `scope NAME|N` (host, link, site, global, nowhere or a number); default global. */
  scope?: string;
  /** `peer ADDR`: a point-to-point address (IFA_ADDRESS = the peer, IFA_LOCAL = ours). */
  peer?: string;
  /** keepalived's address flags: home, noprefixroute, autojoin, mngtmpaddr (IPv6). */
  home?: boolean;
  noPrefixRoute?: boolean;
  autoJoin?: boolean;
  mngTmpAddr?: boolean;
  /**
   * IPv6: seconds the address stays preferred, or 'forever'. keepalived's default is 0 for a /128
   * (a deprecated address, never picked as a source: RFC 6724 rule 3) and forever otherwise.
   */
  preferredLft?: number | 'forever';
}

export interface AddressManager {
  add(v: VipSpec): Promise<void>;
  remove(v: VipSpec): Promise<void>;
  close(): void;
}

const SCOPES: Record<string, number> = { global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 };

/** `scope` as written -> rtnetlink scope number (default global). Unknown names throw. */
export function scopeId(scope: string | undefined): number {
  if (scope === undefined) return 0;
  if (/^\d+$/.test(scope)) return Number(scope);
  const n = SCOPES[scope];
  if (n === undefined) throw new Error(`unknown address scope '${scope}'`);
  return n;
}

/** How long a removal of ours waits for its own RTM_DELADDR / DELROUTE / DELRULE notification. */
const OWN_REMOVAL_MS = 10_000;

/**
 * Removals this process made itself, so the rtnetlink monitor can tell them from deletions by someone
 * else. Marked before the request (the notification can arrive before the answer), unmarked when the
 * kernel says there was nothing to remove, consumed by the notification. BOUNDED: entries expire.
 */
export class OwnRemovals {
  private readonly until = new Map<string, number>();

  mark(key: string): void {
    const now = Date.now();
    for (const [k, t] of this.until) if (t < now) this.until.delete(k);
    this.until.set(key, now + OWN_REMOVAL_MS);
  }

  unmark(key: string): void {
    this.until.delete(key);
  }

  /** Was this deletion ours? (Each mark answers once.) */
  consume(key: string): boolean {
    const t = this.until.get(key);
    if (t === undefined) return false;
    this.until.delete(key);
    return t >= Date.now();
  }
}

/** The identity of an address on an interface, as a deletion notification and a removal both give it. */
export function addressKey(address: string, prefixLen: number, ifindex: number): string {
  return `${Buffer.from(ipToBytes(address)).toString('hex')}/${prefixLen}@${ifindex}`;
}

export class RtnlAddressManager implements AddressManager {
  private readonly rt = new RtnlClient();
  readonly own = new OwnRemovals();

  private args(v: VipSpec, add: boolean) {
    const addr = Buffer.from(ipToBytes(v.address));
    const data = { family: v.family === 'inet' ? 2 : 10, prefixlen: v.prefixLen, index: ifIndex(v.dev), scope: scopeId(v.scope) };
    const attrs: Record<string, unknown> = { local: addr, address: v.peer ? Buffer.from(ipToBytes(v.peer)) : addr };
    if (v.label) attrs.label = v.label;
    if (v.broadcast) attrs.broadcast = Buffer.from(ipToBytes(v.broadcast));
    const flags: Record<string, true> = {};
    if (v.family === 'inet6') {
      // keepalived: IPv6 VIPs skip Duplicate Address Detection (VRRP is the arbiter), and a
      // preferred_lft other than forever goes in IFA_CACHEINFO with an infinite valid lifetime.
      flags.nodad = true;
      if (v.home) flags.homeaddress = true;
      if (v.mngTmpAddr) flags.managetempaddr = true;
      if (add && v.preferredLft !== undefined && v.preferredLft !== 'forever') attrs.cacheInfo = { ifaPrefered: v.preferredLft, ifaValid: 0xffffffff };
    }
    if (v.noPrefixRoute) flags.noprefixroute = true;
    if (v.autoJoin) flags.mcautojoin = true;
    if (Object.keys(flags).length > 0) attrs.flags = flags;
    return [data, attrs] as const;
  }

  async add(v: VipSpec): Promise<void> {
    const [data, attrs] = this.args(v, true);
    try {
      await this.rt.newAddress({ data, attrs }, `adding ${v.address}/${v.prefixLen} to ${v.dev}`);
    } catch (e) {
      const n = codeOf(e);
      if (n !== 'EEXIST') throw n === 'EPERM' ? new Error(`${errorText(e)} (tskeepalived needs CAP_NET_ADMIN)`, { cause: e }) : e;
    }
  }

  async remove(v: VipSpec): Promise<void> {
    let built: ReturnType<RtnlAddressManager['args']>;
    try {
      built = this.args(v, false);
    } catch (e) {
      // The interface is gone, and its addresses with it.
      if (!fs.existsSync(`/sys/class/net/${v.dev}`)) return;
      throw e;
    }
    const [data, attrs] = built;
    const key = addressKey(v.address, v.prefixLen, data.index);
    this.own.mark(key);
    try {
      await this.rt.delAddress({ data, attrs }, `removing ${v.address}/${v.prefixLen} from ${v.dev}`);
    } catch (e) {
      this.own.unmark(key);
      const n = codeOf(e);
      if (n !== 'EADDRNOTAVAIL' && n !== 'ENODEV' && n !== 'ESRCH') throw e;
    }
  }

  close(): void {
    this.rt.close();
  }
}
