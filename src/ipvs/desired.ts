/**
 * keepalived.conf -> the IPVS table keepalived 2.2.7 would program (pure).
 *
 * Matched against keepalived in the VM lab (test/lab/parity.test.ts compares `ipvsadm -S -n`):
 * - a virtual server without real servers is ignored ("has no real servers - ignoring"), sorry server or not;
 * - lb_kind NAT/DR/TUN -> MASQ/DROUTE/TUNNEL with the tunnel type, port and checksum option;
 * - persistence_timeout > 0 sets PERSISTENT; ops sets ONEPACKET; sh-fallback/mh-fallback/flag-1 set
 *   SCHED1, sh-port/mh-port/flag-2 SCHED2, flag-3 SCHED3;
 * - persistence_granularity: an IPv4 mask (default 255.255.255.255) or an IPv6 prefix length (default 128);
 * - fwmark services (and fwmark entries of groups) get their real servers on port 0;
 * - a virtual_server_group expands into one service per address of each range (and one per fwmark)
 *   with the using virtual server's protocol, scheduler and real servers.
 * Health (issue 5 feeds it) decides which real servers are in: a failed one is removed, or kept with
 * weight 0 under inhibit_on_failure; when the live weight falls below quorum the sorry server goes in.
 */
import type { Forwarding, LvsConfig, RealServer, SorryServer, VirtualServer } from '../config/model/lvs.js';
import { expandVsgEntry } from '../config/model/lvs.js';
import { ipToBytes } from '../net/ip.js';
import { destKey, FWD, serviceKey, SVC_F, TUN_FLAG, TUN_TYPE, type IpvsDest, type IpvsService, type IpvsTable, type ServiceEntry } from './types.js';

/** Whether real server `rsIndex` of virtual server `vsIndex` (indexes into lvs.virtualServers) is up. */
export type HealthView = (vsIndex: number, rsIndex: number) => boolean;

export const ALL_UP: HealthView = () => true;

/** keepalived's starting point: real servers are up, except those with `alpha` (down until checked). */
export function initialHealth(lvs: LvsConfig): HealthView {
  return (v, r) => !lvs.virtualServers[v]?.realServers[r]?.alpha;
}

function fwdOf(f: Forwarding): Pick<IpvsDest, 'fwd' | 'tunType' | 'tunPort' | 'tunFlags'> {
  if (f.method === 'NAT') return { fwd: FWD.MASQ, tunType: 0, tunPort: 0, tunFlags: 0 };
  if (f.method === 'DR') return { fwd: FWD.DROUTE, tunType: 0, tunPort: 0, tunFlags: 0 };
  const t = f.tunnel ?? { type: 'ipip', port: 0, checksum: 'nocsum' };
  return {
    fwd: FWD.TUNNEL,
    tunType: TUN_TYPE[t.type.toUpperCase() as keyof typeof TUN_TYPE],
    tunPort: t.port,
    tunFlags: TUN_FLAG[t.checksum.toUpperCase() as keyof typeof TUN_FLAG],
  };
}

function flagsOf(vs: VirtualServer): number {
  const f = vs.flags;
  let n = 0;
  if (vs.persistenceTimeoutS > 0) n |= SVC_F.PERSISTENT;
  if (f.ops) n |= SVC_F.ONEPACKET;
  if (f.flag1 || f.shFallback || f.mhFallback) n |= SVC_F.SCHED1;
  if (f.flag2 || f.shPort || f.mhPort) n |= SVC_F.SCHED2;
  if (f.flag3) n |= SVC_F.SCHED3;
  return n;
}

function netmaskOf(vs: VirtualServer, af: 'inet' | 'inet6'): number {
  const g = vs.persistenceGranularity;
  if (af === 'inet6') return g ? Number(g) : 128;
  if (!g) return 0xffffffff;
  const b = ipToBytes(g);
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

function realDest(rs: RealServer, fwmark: boolean, up: boolean): IpvsDest | undefined {
  if (!up && !rs.inhibitOnFailure) return undefined;
  return {
    af: rs.family,
    address: rs.address,
    port: fwmark ? 0 : rs.port,
    ...fwdOf(rs.forwarding),
    weight: up ? rs.weight : 0,
    uThreshold: rs.uthreshold ?? 0,
    lThreshold: rs.lthreshold ?? 0,
  };
}

function sorryDest(s: SorryServer, fwmark: boolean): IpvsDest {
  return { af: s.family, address: s.address, port: fwmark ? 0 : s.port, ...fwdOf(s.forwarding), weight: 1, uThreshold: 0, lThreshold: 0 };
}

/** The services a virtual server stands for (one, or one per group address and fwmark). */
function servicesOf(vs: VirtualServer, lvs: LvsConfig, problems: string[]): IpvsService[] {
  const common = { scheduler: vs.scheduler, flags: flagsOf(vs), timeoutS: vs.persistenceTimeoutS, ...(vs.persistenceEngine ? { peName: vs.persistenceEngine } : {}) };
  const protocol = (vs.protocol ?? 'TCP').toLowerCase() as 'tcp' | 'udp' | 'sctp';
  if (vs.kind === 'ip') return [{ af: vs.family, protocol, address: vs.address, port: vs.port, ...common, netmask: netmaskOf(vs, vs.family) }];
  if (vs.kind === 'fwmark') return [{ af: vs.family, fwmark: vs.fwmark, ...common, netmask: netmaskOf(vs, vs.family) }];
  const group = lvs.groups.find((g) => g.name === vs.group);
  if (!group) {
    problems.push(`virtual_server group ${vs.group} (${vs.loc.file}:${vs.loc.line}) names no virtual_server_group - not programmed`);
    return [];
  }
  const out: IpvsService[] = [];
  for (const e of group.entries) {
    if (e.kind === 'fwmark') {
      const af = e.family ?? vs.family;
      out.push({ af, fwmark: e.fwmark, ...common, netmask: netmaskOf(vs, af) });
    } else for (const address of expandVsgEntry(e)) out.push({ af: e.family, protocol, address, port: e.port, ...common, netmask: netmaskOf(vs, e.family) });
  }
  return out;
}

/** The table for `lvs` given the real servers' health; `problems` says what could not be represented. */
export function desiredTable(lvs: LvsConfig, health: HealthView = ALL_UP): { table: IpvsTable; problems: string[] } {
  const table: IpvsTable = new Map();
  const problems: string[] = [];
  lvs.virtualServers.forEach((vs, v) => {
    if (vs.realServers.length === 0) return; // keepalived: "has no real servers - ignoring"
    const live = vs.realServers.reduce((sum, rs, r) => sum + (health(v, r) ? rs.weight : 0), 0);
    const quorumLost = live < vs.quorum && vs.realServers.some((_, r) => !health(v, r));
    for (const service of servicesOf(vs, lvs, problems)) {
      const key = serviceKey(service);
      if (table.has(key)) {
        problems.push(`${vs.loc.file}:${vs.loc.line}: virtual server ${key.replace(/\|/g, ' ')} is defined more than once - the first definition is used`);
        continue;
      }
      const fwmark = service.fwmark !== undefined;
      const entry: ServiceEntry = { service, dests: new Map() };
      vs.realServers.forEach((rs, r) => {
        const d = realDest(rs, fwmark, health(v, r));
        if (d) entry.dests.set(destKey(d), d);
      });
      if (quorumLost && vs.sorryServer) {
        const d = sorryDest(vs.sorryServer, fwmark);
        entry.dests.set(destKey(d), d);
      }
      table.set(key, entry);
    }
  });
  return { table, problems };
}
