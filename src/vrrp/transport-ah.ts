/**
 * VRRP layer, edge: VRRPv2 adverts inside an IP Authentication Header (`auth_type AH`), on a raw IPv4
 * socket for IP protocol 51 (raw-socket package). A protocol-112 socket never sees these packets: the
 * kernel hands a raw socket only its own protocol, and the outer protocol here is AH.
 *
 * Unlike transport.ts this one carries whole IPv4 datagrams both ways: the ICV covers the IP header
 * (source, destination, Identification, TTL), so the sender builds the header itself (IP_HDRINCL; the
 * kernel only fills in the header checksum) and the receiver needs the header to verify it. ah.ts
 * builds and checks the bytes; this file only moves them. The socket is transport.ts's openIpv4Raw() for
 * protocol 51 (224.0.0.18 joined when multicast); the TTL rules are packet.ts's, as for protocol 112
 * (keepalived accepts AH adverts from unicast peers whatever their TTL: it leaves it out of their ICV).
 */
import { closeWhenSent, openIpv4Raw, VRRP_MCAST_V4, type RawSocket, type RxMeta, type VrrpTransport } from './transport.js';
import { IPPROTO_AH } from './ah.js';

export interface AhTransportOptions {
  ifname: string;
  /** Destinations: the unicast peers; none = the multicast group. */
  peers: string[];
  onError: (e: Error) => void;
}

/**
 * send(datagram, to): `datagram` is a whole IPv4 datagram (ah.ts buildAhDatagram) whose destination is
 * `to`; one per destination, since the ICV covers the destination address. onPacket delivers whole
 * received datagrams (IP header included) with their addresses and TTL.
 */
export class RawIpv4AhTransport implements VrrpTransport {
  private readonly sock: RawSocket;
  private readonly peers: string[];

  get destinations(): readonly string[] {
    return this.peers;
  }

  constructor(private readonly opts: AhTransportOptions) {
    this.peers = opts.peers.length ? opts.peers : [VRRP_MCAST_V4];
    this.sock = openIpv4Raw({ protocol: IPPROTO_AH, ifname: opts.ifname, ...(opts.peers.length === 0 ? { join: VRRP_MCAST_V4 } : {}), onError: opts.onError });
  }

  send(datagram: Buffer, to?: string): void {
    for (const p of to !== undefined ? [to] : this.peers) {
      this.sock.send(datagram, 0, datagram.length, p, null, (err) => {
        if (err) this.opts.onError(err);
      });
    }
  }

  onPacket(cb: (datagram: Uint8Array, meta: RxMeta) => void): void {
    this.sock.on('message', (buf) => {
      if (buf.length < 20 || buf[0]! >> 4 !== 4) return;
      cb(buf, { ttl: buf[8]!, src: buf.subarray(12, 16), dst: buf.subarray(16, 20), ...(this.opts.peers.length ? { unicast: true } : {}) });
    });
  }

  close(): void {
    closeWhenSent(this.sock);
  }
}
