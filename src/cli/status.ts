/**
 * CLI layer: `tskeepalived status [--json] [--status-socket PATH]`: the live state of a running daemon,
 * read from its status socket (src/daemon/status-socket.ts). renderStatus() is pure: snapshot in,
 * table out.
 */
import type { DaemonSnapshot } from '../daemon/daemon.js';

function table(head: string[], rows: string[][]): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('  ');
  return [line(head), ...rows.map(line)];
}

export function renderStatus(s: DaemonSnapshot): string {
  const out = [`tskeepalived pid ${s.pid}, ${s.configFile}, running since ${s.startedAt}, reloads ${s.reloads.ok} applied / ${s.reloads.failed} refused`];
  if (s.reloads.last && !s.reloads.last.ok) out.push(`last reload refused at ${s.reloads.last.at}: ${s.reloads.last.error ?? ''}`);
  if (s.processes?.length) out.push(`processes: ${s.processes.map((p) => `${p.role} ${p.pid} (${Math.round(p.rssBytes / 1048576)} MiB)`).join(', ')}`);
  out.push('');
  if (s.vrrp.length) {
    out.push(
      ...table(
        ['INSTANCE', 'STATE', 'PRIO', 'VRID', 'VER', 'INTERFACE', 'GROUP', 'VIPS'],
        s.vrrp.map((i) => [
          i.name,
          i.state + (i.faulty && i.state !== 'FAULT' ? '*' : ''),
          i.priority === i.basePriority ? `${i.priority}` : `${i.priority} (${i.basePriority})`,
          `${i.vrid}`,
          `v${i.version}`,
          i.interface,
          i.syncGroup ?? '-',
          i.vips.map((v) => v.split(' ')[0]).join(',') || '-',
        ]),
      ),
    );
    const tracked = s.vrrp.flatMap((i) =>
      (i.trackers ?? []).map((t) => [
        i.name,
        t.kind,
        t.name,
        t.up ? 'up' : 'down',
        t.value !== undefined ? `value ${t.value}` : '',
        t.weight === 0 ? 'FAULT when down' : `${t.weight}${t.reverse ? ' reverse' : ''}`,
      ]),
    );
    if (tracked.length) out.push('', ...table(['INSTANCE', 'TRACKS', 'NAME', 'STATE', 'VALUE', 'WEIGHT'], tracked));
  } else out.push('no VRRP instances');
  if (s.checkers?.realServers.length) {
    out.push('');
    const quorum = new Map(s.checkers.virtualServers.map((v) => [v.id, v.quorumUp]));
    out.push(
      ...table(
        ['VIRTUAL SERVER', 'QUORUM', 'REAL SERVER', 'ALIVE', 'WEIGHT', 'CHECKERS'],
        s.checkers.realServers.map((r) => [
          r.virtualServer,
          quorum.get(r.virtualServer) === false ? 'down' : 'up',
          r.id,
          r.alive ? 'yes' : 'no',
          `${r.weight}`,
          r.checkers.map((c) => `${c.type}:${c.up ? 'up' : 'down'}`).join(' ') || '-',
        ]),
      ),
    );
  } else if (s.ipvs) out.push('', 'IPVS in use, no real servers checked');
  return out.join('\n') + '\n';
}
