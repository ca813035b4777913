/**
 * Net layer, edge: keepalived's `use_vmac`, a macvlan interface carrying the VRRP virtual MAC
 * (RFC 5798 §7.3: 00-00-5E-00-01-{VRID} for IPv4). The instance sends its adverts and GARPs from it and
 * holds its VIPs on it, so after a failover clients and switches keep the same MAC for the VIP and only
 * the switch port moves. As keepalived (vrrp_vmac.c, vrrp_if_config.c): macvlan in private mode, named
 * vrrp.VRID unless `use_vmac NAME`; on it arp_ignore=1, accept_local=1, rp_filter=0,
 * promote_secondaries=1; on the parent arp_ignore=1 and arp_filter=1 (restored at removal). An interface
 * we did not create is used as it is and never deleted.
 *
 * Beyond keepalived: the parent also gets arp_announce=2. When the VIP is in the parent's subnet, a reply
 * from the VIP can leave through the parent, whose ARP request then says "tell <VIP>" from the parent's
 * own MAC, and every neighbour re-learns the VIP at the wrong MAC (keepalived 2.2.7 does this; the
 * use_vmac namespace test shows it). arp_announce=2 makes such requests name the parent's own address.
 *
 * `use_ipvlan` goes through the same manager: an ipvlan in L2 mode (bridge, private or vepa) on the parent,
 * sharing its MAC, holding the instance's ipvlan address, the source of its adverts.
 *
 * The pure part (vmacAddress, macvlanLinkInfo, ipvlanLinkInfo) is unit-tested; the rest talks rtnetlink
 * and /proc/sys.
 */
import * as fs from 'node:fs';
import { codeOf } from './netlink/errors.js';
import { RtnlClient } from './netlink/rtnetlink.js';
import { ifIndex } from './iface.js';
import { errorText } from '../util/errors.js';

/** RFC 5798 §7.3: the virtual router MAC of a VRID (IPv6: 00-00-5E-00-02-{VRID}). */
export function vmacAddress(vrid: number, family: 'inet' | 'inet6' = 'inet'): string {
  return `00:00:5e:00:0${family === 'inet6' ? 2 : 1}:${vrid.toString(16).padStart(2, '0')}`;
}

const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const IFLA_MACVLAN_MODE = 1;
export const MACVLAN_MODE_PRIVATE = 1;

function attr(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  const b = Buffer.alloc((len + 3) & ~3);
  b.writeUInt16LE(len, 0);
  b.writeUInt16LE(type, 2);
  payload.copy(b, 4);
  return b;
}

const IFLA_IPVLAN_MODE = 1;
const IFLA_IPVLAN_FLAGS = 2;
const IPVLAN_MODE_L2 = 0;
/** ipvlan's flags (linux/if_link.h): bridge is none of them. */
export const IPVLAN_FLAGS = { bridge: 0, private: 1, vepa: 2 } as const;
export type IpvlanType = keyof typeof IPVLAN_FLAGS;

/**
 * The payload of IFLA_LINKINFO for an ipvlan in L2 mode with `type`'s flag, as keepalived makes it (L2:
 * the slave sees the link's multicast and broadcast, so adverts and ARP reach it). (pure)
 */
export function ipvlanLinkInfo(type: IpvlanType = 'bridge'): Buffer {
  const u16 = (v: number) => {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v, 0);
    return b;
  };
  return Buffer.concat([
    attr(IFLA_INFO_KIND, Buffer.from('ipvlan\0')),
    attr(IFLA_INFO_DATA | 0x8000, Buffer.concat([attr(IFLA_IPVLAN_MODE, u16(IPVLAN_MODE_L2)), attr(IFLA_IPVLAN_FLAGS, u16(IPVLAN_FLAGS[type]))])),
  ]);
}

/** The payload of IFLA_LINKINFO for a macvlan in `mode`: kind "macvlan" and IFLA_MACVLAN_MODE. (pure) */
export function macvlanLinkInfo(mode = MACVLAN_MODE_PRIVATE): Buffer {
  const m = Buffer.alloc(4);
  m.writeUInt32LE(mode, 0);
  return Buffer.concat([attr(IFLA_INFO_KIND, Buffer.from('macvlan\0')), attr(IFLA_INFO_DATA | 0x8000, attr(IFLA_MACVLAN_MODE, m))]);
}

function sysctl(iface: string, key: string, value?: number): number | undefined {
  const p = `/proc/sys/net/ipv4/conf/${iface}/${key}`;
  try {
    const old = Number(fs.readFileSync(p, 'utf8').trim());
    if (value !== undefined && old !== value) fs.writeFileSync(p, `${value}\n`);
    return old;
  } catch {
    return undefined;
  }
}

export interface VmacHandle {
  name: string;
  created: boolean;
  /** The parent's ARP sysctls were changed for it (a macvlan VMAC, not an ipvlan). */
  parentSysctls?: boolean;
}

export class VmacManager {
  private readonly rt = new RtnlClient();
  /** parent -> its arp_ignore/arp_filter before we changed them. BOUNDED by the interfaces used. */
  private readonly parentSaved = new Map<string, { arpIgnore?: number; arpFilter?: number; arpAnnounce?: number; users: number }>();

  /**
   * Creates (or adopts) the VMAC interface `name` on `parent` with `mac` (a macvlan), or with `ipvlan` an
   * ipvlan of that type (the parent's MAC), brings it up and sets the sysctls. Throws with the cause when the
   * kernel refuses (no macvlan/ipvlan support, name taken by another kind of interface...).
   */
  async create(name: string, parent: string, kind: { mac: string } | { ipvlan: IpvlanType }, family: 'inet' | 'inet6' = 'inet'): Promise<VmacHandle> {
    let created = false;
    const what = 'ipvlan' in kind ? 'ipvlan' : 'VMAC';
    if (!fs.existsSync(`/sys/class/net/${name}`)) {
      const idx = Buffer.alloc(4);
      idx.writeUInt32LE(ifIndex(parent), 0);
      const link =
        'ipvlan' in kind
          ? { linkinfo: ipvlanLinkInfo(kind.ipvlan) }
          : { address: Buffer.from(kind.mac.split(':').map((h) => Number.parseInt(h, 16))), linkinfo: macvlanLinkInfo() };
      try {
        await this.rt.newLink({ data: {}, attrs: { ifname: name, link: idx, ...link } }, `creating ${what} interface ${name} on ${parent}`);
        created = true;
      } catch (e) {
        const n = codeOf(e);
        if (n !== 'EEXIST')
          throw 'ipvlan' in kind && n === 'EOPNOTSUPP' ? new Error(`${errorText(e)} (no ipvlan driver in this kernel: modprobe ipvlan)`, { cause: e }) : e;
      }
    }
    // IPv6: no link-local address derived from the virtual MAC (keepalived: addrgenmode none); set while
    // the new interface is still down, before the kernel would make one.
    if (family === 'inet6') {
      try {
        fs.writeFileSync(`/proc/sys/net/ipv6/conf/${name}/addr_gen_mode`, '1\n');
      } catch (e) {
        throw new Error(`${what} interface ${name}: cannot set addr_gen_mode: ${errorText(e)}`);
      }
    }
    await this.rt.setLink({ data: { index: ifIndex(name), flags: { up: true }, change: { up: true } }, attrs: {} }, `bringing ${what} interface ${name} up`);
    // An ipvlan answers ARP with the parent's own MAC: no sysctl is changed, on it or on the parent (as
    // keepalived 2.2.7, observed).
    if ('ipvlan' in kind) return { name, created };
    sysctl(name, 'arp_ignore', 1);
    sysctl(name, 'accept_local', 1);
    sysctl(name, 'rp_filter', 0);
    sysctl(name, 'promote_secondaries', 1);
    const saved = this.parentSaved.get(parent);
    if (saved) saved.users++;
    else {
      const s = { users: 1 } as { arpIgnore?: number; arpFilter?: number; arpAnnounce?: number; users: number };
      const ai = sysctl(parent, 'arp_ignore', 1);
      const af = sysctl(parent, 'arp_filter', 1);
      const aa = sysctl(parent, 'arp_announce', 2);
      if (ai !== undefined) s.arpIgnore = ai;
      if (af !== undefined) s.arpFilter = af;
      if (aa !== undefined) s.arpAnnounce = aa;
      this.parentSaved.set(parent, s);
    }
    return { name, created, parentSysctls: true };
  }

  /** Deletes the interface if we created it; the parent's sysctls come back with its last VMAC. */
  async remove(h: VmacHandle, parent: string): Promise<void> {
    if (h.created) {
      try {
        await this.rt.delLink({ data: { index: ifIndex(h.name) }, attrs: {} }, `deleting interface ${h.name}`);
      } catch (e) {
        if (codeOf(e) !== 'ENODEV') throw e;
      } finally {
        h.created = false;
      }
    }
    const s = h.parentSysctls ? this.parentSaved.get(parent) : undefined;
    if (s && --s.users === 0) {
      if (s.arpIgnore !== undefined) sysctl(parent, 'arp_ignore', s.arpIgnore);
      if (s.arpFilter !== undefined) sysctl(parent, 'arp_filter', s.arpFilter);
      if (s.arpAnnounce !== undefined) sysctl(parent, 'arp_announce', s.arpAnnounce);
      this.parentSaved.delete(parent);
    }
  }

  close(): void {
    this.rt.close();
  }
}
