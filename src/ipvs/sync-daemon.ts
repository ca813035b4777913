/**
 * IPVS sync daemon codec (pure): IPVS_CMD_NEW/DEL_DAEMON attributes and GET_DAEMON replies
 * (ip_vs_genl_new_daemon / _del_daemon / _fill_daemon in net/netfilter/ipvs/ip_vs_ctl.c). The multicast
 * group is in network order; the port is host order (the kernel htons() it in get_mcast_sockaddr).
 */
import { bytesToIp, ipToBytes } from '../net/ip.js';
import { CMD_ATTR, DAEMON_ATTR, DAEMON_STATE } from './constants.js';
import { AttrWriter, checkPort, checkU32, inner, rdStr, rdU16, rdU32 } from './nlmsg.js';

/** lvs_sync_daemon: the connection synchronisation thread (IPVS_CMD_NEW/DEL/GET_DAEMON). */
export interface SyncDaemon {
  state: 'master' | 'backup';
  ifname: string;
  syncId: number;
  /** 0 or absent = the kernel's default. */
  maxLen?: number;
  group?: string;
  port?: number;
  ttl?: number;
}

/** CMD_ATTR.DAEMON for NEW_DAEMON (everything set) or DEL_DAEMON (`full` false: the state alone). */
export function encodeDaemon(d: SyncDaemon, full = true): Buffer {
  const w = new AttrWriter();
  const nest = w.begin(CMD_ATTR.DAEMON);
  w.u32(DAEMON_ATTR.STATE, d.state === 'master' ? DAEMON_STATE.MASTER : DAEMON_STATE.BACKUP);
  if (full) {
    w.str(DAEMON_ATTR.MCAST_IFN, d.ifname).u32(DAEMON_ATTR.SYNC_ID, checkU32('syncid', d.syncId));
    if (d.maxLen) w.u16(DAEMON_ATTR.SYNC_MAXLEN, checkPort('sync_maxlen', d.maxLen));
    if (d.group) {
      const g = ipToBytes(d.group);
      w.bytes(g.length === 4 ? DAEMON_ATTR.MCAST_GROUP : DAEMON_ATTR.MCAST_GROUP6, g);
    }
    if (d.port) w.u16(DAEMON_ATTR.MCAST_PORT, checkPort('mcast port', d.port)); // host order: the kernel htons() it
    if (d.ttl) w.u8(DAEMON_ATTR.MCAST_TTL, d.ttl);
  }
  return w.end(nest).finish();
}

/** A GET_DAEMON reply's attributes -> the daemon; undefined on junk. */
export function decodeDaemon(payload: Buffer): SyncDaemon | undefined {
  const a = inner(payload, CMD_ATTR.DAEMON);
  if (!a) return undefined;
  const stateN = rdU32(a.get(DAEMON_ATTR.STATE));
  const ifname = rdStr(a.get(DAEMON_ATTR.MCAST_IFN));
  const syncId = rdU32(a.get(DAEMON_ATTR.SYNC_ID));
  const state = stateN === DAEMON_STATE.MASTER ? 'master' : stateN === DAEMON_STATE.BACKUP ? 'backup' : undefined;
  if (!state || ifname === undefined || syncId === undefined) return undefined;
  const g4 = a.get(DAEMON_ATTR.MCAST_GROUP);
  const g6 = a.get(DAEMON_ATTR.MCAST_GROUP6);
  const group =
    g4 && g4.length >= 4 ? bytesToIp(new Uint8Array(g4.subarray(0, 4))) : g6 && g6.length >= 16 ? bytesToIp(new Uint8Array(g6.subarray(0, 16))) : undefined;
  const out: SyncDaemon = { state, ifname, syncId };
  const maxLen = rdU16(a.get(DAEMON_ATTR.SYNC_MAXLEN));
  const port = rdU16(a.get(DAEMON_ATTR.MCAST_PORT));
  const ttl = a.get(DAEMON_ATTR.MCAST_TTL)?.[0];
  if (maxLen) out.maxLen = maxLen;
  if (group) out.group = group;
  if (port) out.port = port;
  if (ttl) out.ttl = ttl;
  return out;
}
