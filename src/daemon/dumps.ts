/**
 * Daemon layer: keepalived's state dumps, written on signals. SIGUSR1 writes the data dump
 * (keepalived.data: configuration in effect and live state) and the JSON dump (keepalived.json: the
 * daemon's snapshot, the same object `tskeepalived status --json` prints); SIGUSR2 the stats dump
 * (keepalived.stats, in keepalived's layout so scripts that parse it keep working). keepalived asks for
 * JSON with a real-time signal, which Node cannot catch: `--signum=JSON` therefore names SIGUSR1. The
 * text is built by the pure functions here; writeDump() is the edge. Files go to /tmp unless --dump-dir
 * says otherwise.
 */
import * as path from 'node:path';
import type { DaemonSnapshot } from './daemon.js';
import { writeFileAtomic } from '../util/write-atomic.js';

export function statsDump(s: DaemonSnapshot): string {
  const out: string[] = [];
  for (const i of s.vrrp) {
    const d = i.stats.drops;
    out.push(
      `VRRP Instance: ${i.name}`,
      '  Advertisements:',
      `    Received: ${i.stats.advertRx}`,
      `    Sent: ${i.stats.advertTx}`,
      `  Became master: ${i.stats.becameMaster}`,
      `  Released master: ${i.stats.releasedMaster}`,
      '  Packet Errors:',
      `    Length: ${d.short + d.length}`,
      `    TTL: ${d.ttl}`,
      `    Invalid Type: ${d.type}`,
      `    Advertisement Interval: ${d.advertInt}`,
      `    Address List: 0`,
      '  Authentication Errors:',
      `    Invalid Type: ${d.authType}`,
      `    Type Mismatch: 0`,
      // keepalived counts AH sequence-number drops as authentication failures too.
      `    Failure: ${d.authMismatch + d.ahSequence}`,
      '  Priority Zero:',
      `    Received: ${i.stats.priZeroRx}`,
      `    Sent: ${i.stats.priZeroTx}`,
    );
  }
  return out.join('\n') + (out.length ? '\n' : '');
}

export function dataDump(s: DaemonSnapshot, now = new Date()): string {
  const out: string[] = [
    '------< tskeepalived data dump >------',
    ` Written at = ${now.toISOString()}`,
    ` Pid = ${s.pid}`,
    ` Configuration file = ${s.configFile}`,
    ` Running since = ${s.startedAt}`,
    ` Reloads = ${s.reloads.ok} applied, ${s.reloads.failed} refused`,
    ` IPVS = ${s.ipvs ? 'in use' : 'not in use'}`,
    '------< VRRP Topology >------',
  ];
  for (const i of s.vrrp) {
    out.push(
      ` VRRP Instance = ${i.name}`,
      `   VRRP Version = ${i.version}`,
      `   State = ${i.state}${i.faulty ? ' (fault)' : ''}`,
      `   Interface = ${i.interface}`,
      `   Virtual Router ID = ${i.vrid}`,
      `   Family = ${i.family}`,
      `   Priority = ${i.priority}`,
      `   Configured priority = ${i.basePriority}`,
      ...(i.syncGroup ? [`   Sync group = ${i.syncGroup}`] : []),
      `   Virtual IP (${i.vips.length}):`,
      ...i.vips.map((v) => `     ${v}`),
    );
    const t = i.trackers ?? [];
    if (t.length) {
      out.push(`   Tracked (${t.length}):`);
      for (const x of t)
        out.push(
          `     ${x.kind} ${x.name} = ${x.up ? 'up' : 'down'}${x.value !== undefined ? `, value ${x.value}` : ''}, weight ${x.weight}${x.reverse ? ' reverse' : ''}`,
        );
    }
  }
  if (s.checkers) {
    out.push('------< Health checkers >------');
    const quorum = new Map(s.checkers.virtualServers.map((v) => [v.id, v.quorumUp]));
    const byVs = new Map<string, typeof s.checkers.realServers>();
    for (const rs of s.checkers.realServers) byVs.set(rs.virtualServer, [...(byVs.get(rs.virtualServer) ?? []), rs]);
    for (const [vs, up] of quorum) {
      out.push(` Virtual server = ${vs}`, `   Quorum = ${up ? 'up' : 'down'}`);
      for (const rs of byVs.get(vs) ?? []) {
        out.push(`   Real server = ${rs.id}`, `     Alive = ${rs.alive ? 'yes' : 'no'}`, `     Weight = ${rs.weight}`);
        for (const c of rs.checkers)
          out.push(
            `     ${c.type} = ${c.up ? 'up' : 'down'}, ${c.checks} checks, ${c.failures} failures${c.lastReason ? `, last failure: ${c.lastReason}` : ''}`,
          );
      }
    }
  }
  return out.join('\n') + '\n';
}

export type DumpKind = 'data' | 'stats' | 'json';

/** Writes one dump file (replacing it whole); returns its path. */
export function writeDump(kind: DumpKind, s: DaemonSnapshot, dir = '/tmp'): string {
  const file = path.join(dir, `keepalived.${kind}`);
  const text = kind === 'data' ? dataDump(s) : kind === 'stats' ? statsDump(s) : JSON.stringify(s, null, 2) + '\n';
  writeFileAtomic(file, text, 0o644);
  return file;
}
