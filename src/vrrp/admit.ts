/**
 * VRRP layer, pure: which unicast adverts an instance accepts, as keepalived 2.2.7 decides it. One job:
 * the receive rules that depend on the instance's unicast configuration rather than on the packet's bytes
 * (those are packet.ts):
 *
 * - TTL / Hop Limit 255 (RFC 5798 §7.1, RFC 3768 §7.1) is required of multicast adverts only. An instance
 *   that runs unicast (unicast_peer given) accepts a unicast-addressed advert with any TTL, since a peer
 *   may sit behind routers (keepalived: "(VI) TTL/HL n not in range" is only said for min_ttl/max_ttl).
 * - check_unicast_src (or global_defs vrrp_check_unicast_src, or any min_ttl/max_ttl on a peer): the
 *   advert's source must be one of the unicast_peer addresses ("unicast source address X not a unicast
 *   peer"), and its TTL within that peer's [min_ttl, max_ttl] (defaults 0 and 255).
 *
 * No I/O; addresses are compared as bytes.
 */
import { bytesToIp, ipToBytes } from '../net/ip.js';
import type { UnicastPeer, VrrpInstance } from '../config/model/vrrp.js';

export interface PeerRule {
  address: Uint8Array;
  minTtl: number;
  maxTtl: number;
}

export interface PeerPolicy {
  /** The instance runs unicast: it has unicast peers. */
  unicast: boolean;
  /** check_unicast_src: only adverts from a peer, within its TTL range. */
  checkSource: boolean;
  /** BOUNDED by the configured unicast_peer entries. */
  peers: readonly PeerRule[];
}

/** The policy of a resolved vrrp_instance. */
export function peerPolicy(inst: Pick<VrrpInstance, 'unicastPeers' | 'checkUnicastSrc'>): PeerPolicy {
  const peers = inst.unicastPeers.map((p: UnicastPeer) => ({ address: ipToBytes(p.address), minTtl: p.minTtl, maxTtl: p.maxTtl }));
  return { unicast: peers.length > 0, checkSource: inst.checkUnicastSrc && peers.length > 0, peers };
}

/** IPv4 224.0.0.0/4 or IPv6 ff00::/8. */
export function isMulticastAddr(a: Uint8Array): boolean {
  return a.length === 4 ? (a[0]! & 0xf0) === 0xe0 : a.length === 16 && a[0] === 0xff;
}

/**
 * May the TTL 255 check be skipped for a packet sent to `dst`? Only when the instance runs unicast and the
 * packet was sent to a unicast address: a multicast instance, or a multicast packet, keeps the RFC check.
 */
export function skipsTtlCheck(policy: PeerPolicy, dst: Uint8Array): boolean {
  return policy.unicast && !isMulticastAddr(dst);
}

export type AdmitResult = { ok: true } | { ok: false; reason: 'source' | 'ttl'; why: string };

const OK: AdmitResult = Object.freeze({ ok: true });

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * check_unicast_src for one decoded advert from `src` with TTL / Hop Limit `ttl`. `why` uses keepalived's
 * wording, for the debug log.
 */
export function admitSource(policy: PeerPolicy, src: Uint8Array, ttl: number): AdmitResult {
  if (!policy.checkSource) return OK;
  const peer = policy.peers.find((p) => sameBytes(p.address, src));
  if (!peer) return { ok: false, reason: 'source', why: `unicast source address ${bytesToIp(src)} not a unicast peer` };
  if (ttl < peer.minTtl || ttl > peer.maxTtl) return { ok: false, reason: 'ttl', why: `TTL/HL ${ttl} not in range ${peer.minTtl} - ${peer.maxTtl}` };
  return OK;
}
