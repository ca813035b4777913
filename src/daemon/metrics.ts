/**
 * Daemon layer, edge: the Prometheus endpoint (`--metrics-listen ADDR:PORT`, off by default). prom-client
 * renders the exposition format (a well-kept library: escaping, types and HELP text are its job); every
 * value is read at scrape time from the daemon's snapshot and, for IPVS counters, one dump of the
 * kernel's table, so nothing is counted twice and a reload cannot leave stale series behind.
 */
import * as http from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Daemon } from './daemon.js';
import { DROP_REASONS } from '../vrrp/packet.js';

const STATES = ['INIT', 'BACKUP', 'MASTER', 'FAULT'] as const;

/** "ADDR:PORT", "[v6]:PORT" or ":PORT" (all addresses); throws on anything else. */
export function parseListen(v: string): { host?: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]]*)):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) throw new Error(`--metrics-listen '${v}' is not ADDR:PORT, [IPV6]:PORT or :PORT`);
  const host = m[1] ?? m[2];
  return host ? { host, port } : { port };
}

export function buildRegistry(d: Daemon): Registry {
  const reg = new Registry();
  const snap = () => d.snapshot();
  const inst = ['instance', 'vrid', 'interface'] as const;
  const lab = (i: { name: string; vrid: number; interface: string }) => ({ instance: i.name, vrid: String(i.vrid), interface: i.interface });
  const perInstance = (name: string, help: string, pick: (s: ReturnType<typeof snap>['vrrp'][number]) => number, kind: 'counter' | 'gauge') => {
    if (kind === 'gauge') {
      new Gauge({ name, help, labelNames: inst, registers: [reg], collect() { this.reset(); for (const i of snap().vrrp) this.set(lab(i), pick(i)); } });
    } else {
      new Counter({ name, help, labelNames: inst, registers: [reg], collect() { this.reset(); for (const i of snap().vrrp) this.inc(lab(i), pick(i)); } });
    }
  };
  new Gauge({
    name: 'tskeepalived_vrrp_state',
    help: 'VRRP instance state: 1 for the state it is in, 0 for the others',
    labelNames: [...inst, 'state'],
    registers: [reg],
    collect() {
      this.reset();
      for (const i of snap().vrrp) for (const s of STATES) this.set({ ...lab(i), state: s }, i.state === s ? 1 : 0);
    },
  });
  perInstance('tskeepalived_vrrp_priority', 'Current (effective) priority', (i) => i.priority, 'gauge');
  perInstance('tskeepalived_vrrp_transitions_total', 'State transitions', (i) => i.stats.transitions, 'counter');
  perInstance('tskeepalived_vrrp_adverts_sent_total', 'Advertisements sent', (i) => i.stats.advertTx, 'counter');
  perInstance('tskeepalived_vrrp_adverts_received_total', 'Valid advertisements received', (i) => i.stats.advertRx, 'counter');
  perInstance('tskeepalived_vrrp_garp_sent_total', 'Gratuitous ARPs sent', (i) => i.stats.garpTx, 'counter');
  perInstance('tskeepalived_vrrp_na_sent_total', 'Unsolicited neighbour advertisements sent', (i) => i.stats.unaTx, 'counter');
  new Counter({
    name: 'tskeepalived_vrrp_packets_dropped_total',
    help: 'Received VRRP packets dropped, by reason',
    labelNames: [...inst, 'reason'],
    registers: [reg],
    collect() {
      this.reset();
      for (const i of snap().vrrp) for (const r of DROP_REASONS) this.inc({ ...lab(i), reason: r }, i.stats.drops[r]);
    },
  });
  const rsLabels = ['virtual_server', 'real_server'] as const;
  new Gauge({
    name: 'tskeepalived_real_server_alive',
    help: 'Real server alive by its health checkers (1) or not (0)',
    labelNames: rsLabels,
    registers: [reg],
    collect() {
      this.reset();
      for (const r of snap().checkers?.realServers ?? []) this.set({ virtual_server: r.virtualServer, real_server: r.id }, r.alive ? 1 : 0);
    },
  });
  new Gauge({
    name: 'tskeepalived_real_server_weight',
    help: 'Weight given to the real server',
    labelNames: rsLabels,
    registers: [reg],
    collect() {
      this.reset();
      for (const r of snap().checkers?.realServers ?? []) this.set({ virtual_server: r.virtualServer, real_server: r.id }, r.weight);
    },
  });
  new Gauge({
    name: 'tskeepalived_virtual_server_quorum_up',
    help: 'Virtual server quorum reached (1) or lost (0, sorry server in use)',
    labelNames: ['virtual_server'],
    registers: [reg],
    collect() {
      this.reset();
      for (const v of snap().checkers?.virtualServers ?? []) this.set({ virtual_server: v.id }, v.quorumUp ? 1 : 0);
    },
  });
  const ckLabels = ['virtual_server', 'real_server', 'checker'] as const;
  const checkers = function* () {
    for (const r of snap().checkers?.realServers ?? []) for (const c of r.checkers) yield { l: { virtual_server: r.virtualServer, real_server: r.id, checker: c.type }, c };
  };
  new Gauge({ name: 'tskeepalived_checker_up', help: 'Checker result: 1 up, 0 down', labelNames: ckLabels, registers: [reg], collect() { this.reset(); for (const { l, c } of checkers()) this.set(l, c.up ? 1 : 0); } });
  new Counter({ name: 'tskeepalived_checker_checks_total', help: 'Checks run', labelNames: ckLabels, registers: [reg], collect() { this.reset(); for (const { l, c } of checkers()) this.inc(l, c.checks); } });
  new Counter({ name: 'tskeepalived_checker_failures_total', help: 'Checks failed', labelNames: ckLabels, registers: [reg], collect() { this.reset(); for (const { l, c } of checkers()) this.inc(l, c.failures); } });
  new Gauge({ name: 'tskeepalived_checker_latency_seconds', help: 'Duration of the last check', labelNames: ckLabels, registers: [reg], collect() { this.reset(); for (const { l, c } of checkers()) if (c.lastMs !== undefined) this.set(l, c.lastMs / 1000); } });
  new Counter({
    name: 'tskeepalived_reloads_total',
    help: 'SIGHUP reloads, by outcome (applied or refused: the running configuration was kept)',
    labelNames: ['outcome'],
    registers: [reg],
    collect() {
      this.reset();
      const r = snap().reloads;
      this.inc({ outcome: 'applied' }, r.ok);
      this.inc({ outcome: 'refused' }, r.failed);
    },
  });
  // IPVS: one dump per scrape, shared by the three families of series.
  let dumping: Promise<Awaited<ReturnType<NonNullable<Daemon['ipvs']>['counters']>>> | undefined;
  const dump = () => (dumping ??= (d.ipvs?.counters() ?? Promise.resolve([])).finally(() => setImmediate(() => (dumping = undefined))));
  const ipvsLabels = ['virtual_server', 'real_server'] as const;
  // keepalived's notation, as the checker series use, so the two join: [192.0.2.100]:tcp:80, FWM 1.
  const vsName = (s: { fwmark?: number; protocol?: string; address?: string; port?: number }) => (s.fwmark !== undefined ? `FWM ${s.fwmark}` : `[${s.address}]:${s.protocol}:${s.port}`);
  const rsName = (s: { protocol?: string }, a: string, p: number) => `[${a}]:${s.protocol ?? 'tcp'}:${p}`;
  const ipvsSeries = (name: string, help: string, pick: (s: { conns: bigint; inBytes: bigint; outBytes: bigint }) => bigint) =>
    new Counter({
      name,
      help,
      labelNames: ipvsLabels,
      registers: [reg],
      async collect() {
        this.reset();
        for (const s of await dump().catch(() => [])) {
          for (const ds of s.dests) if (ds.stats) this.inc({ virtual_server: vsName(s.service as never), real_server: rsName(s.service as never, ds.dest.address, ds.dest.port) }, Number(pick(ds.stats)));
        }
      },
    });
  ipvsSeries('tskeepalived_ipvs_connections_total', 'Connections scheduled to the real server (kernel counter)', (s) => s.conns);
  ipvsSeries('tskeepalived_ipvs_in_bytes_total', 'Bytes from clients to the real server (kernel counter)', (s) => s.inBytes);
  ipvsSeries('tskeepalived_ipvs_out_bytes_total', 'Bytes from the real server to clients (kernel counter)', (s) => s.outBytes);
  new Gauge({
    name: 'tskeepalived_ipvs_active_connections',
    help: 'Active connections to the real server',
    labelNames: ipvsLabels,
    registers: [reg],
    async collect() {
      this.reset();
      for (const s of await dump().catch(() => [])) for (const ds of s.dests) this.set({ virtual_server: vsName(s.service as never), real_server: rsName(s.service as never, ds.dest.address, ds.dest.port) }, ds.activeConns);
    },
  });
  return reg;
}

export class MetricsServer {
  private constructor(private readonly server: http.Server) {}

  static async listen(spec: string, d: Daemon): Promise<MetricsServer> {
    const { host, port } = parseListen(spec);
    const reg = buildRegistry(d);
    const server = http.createServer((req, res) => {
      if (req.url !== '/metrics' && req.url !== '/') return void res.writeHead(404).end('try /metrics\n');
      reg.metrics().then(
        (text) => res.writeHead(200, { 'content-type': reg.contentType }).end(text),
        (e: Error) => res.writeHead(500).end(`${e.message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.unref();
    return new MetricsServer(server);
  }

  close(): Promise<void> {
    return new Promise((r) => {
      this.server.closeAllConnections();
      this.server.close(() => r());
    });
  }
}
