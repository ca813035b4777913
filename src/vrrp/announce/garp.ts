/**
 * VRRP layer, pure: the gratuitous ARP frame a new MASTER broadcasts for each IPv4 virtual address
 * (RFC 5798 §6.4.2 "broadcast a gratuitous ARP request", format per RFC 5227 §3 / RFC 826):
 * an Ethernet broadcast carrying an ARP request whose sender and target protocol addresses are both the VIP.
 */

export const ETH_P_ARP = 0x0806;
export const BROADCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export function parseMac(s: string): Uint8Array {
  const parts = s.trim().split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new TypeError(`not a MAC address: ${s}`);
  return Uint8Array.from(parts.map((p) => Number.parseInt(p, 16)));
}

/** 42-byte Ethernet + ARP frame: who-has VIP tell VIP, from `mac`. */
export function garpFrame(mac: Uint8Array, vip: Uint8Array): Buffer {
  const f = Buffer.alloc(42);
  f.set(BROADCAST_MAC, 0); // Ethernet destination
  f.set(mac, 6); // Ethernet source
  f.writeUInt16BE(ETH_P_ARP, 12);
  f.writeUInt16BE(1, 14); // hardware type: Ethernet
  f.writeUInt16BE(0x0800, 16); // protocol type: IPv4
  f[18] = 6; // hardware address length
  f[19] = 4; // protocol address length
  f.writeUInt16BE(1, 20); // opcode: request
  f.set(mac, 22); // sender hardware address
  f.set(vip, 28); // sender protocol address
  f.set(BROADCAST_MAC, 32); // target hardware address (ignored by receivers; keepalived sends ff:ff..)
  f.set(vip, 38); // target protocol address
  return f;
}
