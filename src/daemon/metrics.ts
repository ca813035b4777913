/**
 * Daemon layer, edge: the Prometheus endpoint (`--metrics-listen ADDR:PORT`, off by default). prom-client
 * renders the exposition format (a well-kept library: escaping, types and HELP text are its job); every
 * value is read at scrape time from the daemon's snapshot (the supervisor asks its processes) and, for
 * IPVS counters, one dump of the kernel's table made by the checker process, so nothing is counted twice
 * and a reload cannot leave stale series behind. The endpoint lives in the supervisor: a scrape never runs
 * on the VRRP process's loop.
 */
import * as http from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { DaemonSnapshot } from './daemon.js';
import type { DumpedService } from '../ipvs/client.js';
import { DROP_REASONS } from '../vrrp/packet.js';

/** Where the values come from (the Supervisor). */
export interface MetricsSource {
  snapshot(): Promise<DaemonSnapshot>;
  ipvsCounters(): Promise<DumpedService[]>;
  /** Readiness: every process the configuration needs is running (`why` says what is not). */
  readiness?(): { ready: boolean; why?: string };
}

const STATES = ['INIT', 'BACKUP', 'MASTER', 'FAULT'] as const;

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  rows: Array<[labels: string, value: number]>;
}

/**
 * The per-real-server families (alive, weight, checker results, IPVS counters), rendered here rather than
 * through prom-client: with 10,000 real servers prom-client's label hashing took 1.6 s of one event-loop
 * turn per scrape, long enough to delay VRRP adverts. Built from one snapshot and one IPVS dump, written
 * in the same exposition format, yielding to the event loop every 2,000 lines.
 */
export async function bulkFamilies(
  s: DaemonSnapshot,
  counters: () => Promise<DumpedService[]>,
  want: (name: string) => boolean = () => true,
  gone: () => boolean = () => false,
): Promise<string> {
  const fam = (name: string, help: string, type: Family['type']): Family => ({ name, help, type, rows: [] });
  const alive = fam('tskeepalived_real_server_alive', 'Real server alive by its health checkers (1) or not (0)', 'gauge');
  const weight = fam('tskeepalived_real_server_weight', 'Weight given to the real server', 'gauge');
  const up = fam('tskeepalived_checker_up', 'Checker result: 1 up, 0 down', 'gauge');
  const checks = fam('tskeepalived_checker_checks_total', 'Checks run', 'counter');
  const failures = fam('tskeepalived_checker_failures_total', 'Checks failed', 'counter');
  const latency = fam('tskeepalived_checker_latency_seconds', 'Duration of the last check', 'gauge');
  const checkerFamilies = [alive, weight, up, checks, failures, latency];
  for (const r of checkerFamilies.some((f) => want(f.name)) ? (s.checkers?.realServers ?? []) : []) {
    const rl = `virtual_server="${esc(r.virtualServer)}",real_server="${esc(r.id)}"`;
    alive.rows.push([rl, r.alive ? 1 : 0]);
    weight.rows.push([rl, r.weight]);
    for (const c of r.checkers) {
      const cl = `${rl},checker="${c.type}"`;
      up.rows.push([cl, c.up ? 1 : 0]);
      checks.rows.push([cl, c.checks]);
      failures.rows.push([cl, c.failures]);
      if (c.lastMs !== undefined) latency.rows.push([cl, c.lastMs / 1000]);
    }
  }
  const conns = fam('tskeepalived_ipvs_connections_total', 'Connections scheduled to the real server (kernel counter)', 'counter');
  const inBytes = fam('tskeepalived_ipvs_in_bytes_total', 'Bytes from clients to the real server (kernel counter)', 'counter');
  const outBytes = fam('tskeepalived_ipvs_out_bytes_total', 'Bytes from the real server to clients (kernel counter)', 'counter');
  const active = fam('tskeepalived_ipvs_active_connections', 'Active connections to the real server', 'gauge');
  // keepalived's notation, as the checker series use, so the two join: [192.0.2.100]:tcp:80, FWM 1.
  const ipvsFamilies = [conns, inBytes, outBytes, active];
  for (const svc of s.ipvs && ipvsFamilies.some((f) => want(f.name)) ? await counters().catch(() => []) : []) {
    const sv = svc.service;
    const vs = sv.fwmark !== undefined ? `FWM ${sv.fwmark}` : `[${sv.address}]:${sv.protocol}:${sv.port}`;
    for (const ds of svc.dests) {
      const l = `virtual_server="${esc(vs)}",real_server="${esc(`[${ds.dest.address}]:${sv.protocol ?? 'tcp'}:${ds.dest.port}`)}"`;
      active.rows.push([l, ds.activeConns]);
      if (!ds.stats) continue;
      conns.rows.push([l, Number(ds.stats.conns)]);
      inBytes.rows.push([l, Number(ds.stats.inBytes)]);
      outBytes.rows.push([l, Number(ds.stats.outBytes)]);
    }
  }
  const parts: string[] = [];
  let lines = 0;
  for (const f of [...checkerFamilies, ...ipvsFamilies]) {
    if (!want(f.name)) continue;
    parts.push(`# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`);
    for (const [l, v] of f.rows) {
      parts.push(`${f.name}{${l}} ${v}\n`);
      if (++lines % 2000 === 0) {
        await new Promise((r) => setImmediate(r));
        // The scraper gave up (its timeout): stop rendering for nobody.
        if (gone()) return '';
      }
    }
  }
  return parts.join('');
}

/** "ADDR:PORT", "[v6]:PORT" or ":PORT" (all addresses); throws on anything else. */
export function parseListen(v: string): { host?: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) throw new Error(`--metrics-listen '${v}' is not ADDR:PORT, [IPV6]:PORT or :PORT`);
  const host = m[1] ?? m[2];
  return host ? { host, port } : { port };
}

/**
 * The registry of the small families. `snap` returns the snapshot taken for the scrape being served
 * (collect() functions are synchronous readers of it).
 */
export function buildRegistry(snap: () => DaemonSnapshot): Registry {
  const reg = new Registry();
  // The supervisor's CPU, memory, and event loop delay (nodejs_eventloop_lag_*); each process's own
  // figures are the tskeepalived_process_* families.
  collectDefaultMetrics({ register: reg, eventLoopMonitoringPrecision: 10 });
  const perProcess = (name: string, help: string, pick: (p: NonNullable<DaemonSnapshot['processes']>[number]) => number, kind: 'counter' | 'gauge') => {
    const cfg = {
      name,
      help,
      labelNames: ['process'] as const,
      registers: [reg],
      collect(this: Gauge<'process'> | Counter<'process'>) {
        this.reset();
        for (const p of snap().processes ?? []) {
          if (this instanceof Gauge) this.set({ process: p.role }, pick(p));
          else this.inc({ process: p.role }, pick(p));
        }
      },
    };
    if (kind === 'gauge') new Gauge(cfg);
    else new Counter(cfg);
  };
  perProcess(
    'tskeepalived_process_resident_memory_bytes',
    "Resident memory of each of the daemon's processes (supervisor, vrrp, checkers)",
    (p) => p.rssBytes,
    'gauge',
  );
  perProcess('tskeepalived_process_cpu_seconds_total', "CPU time (user + system) of each of the daemon's processes", (p) => p.cpuSeconds, 'counter');
  perProcess(
    'tskeepalived_process_event_loop_lag_p99_seconds',
    "p99 of how late the process's event loop ran, since the previous scrape",
    (p) => p.loopLagP99Ms / 1000,
    'gauge',
  );
  perProcess(
    'tskeepalived_process_event_loop_lag_max_seconds',
    "Most the process's event loop ran late, since the previous scrape",
    (p) => p.loopLagMaxMs / 1000,
    'gauge',
  );
  perProcess('tskeepalived_process_active_timers', "Timers (timeouts and immediates) each of the daemon's processes holds", (p) => p.timers ?? 0, 'gauge');
  perProcess('tskeepalived_process_active_resources', "Timers, handles and requests keeping each process's event loop alive", (p) => p.resources ?? 0, 'gauge');
  const inst = ['instance', 'vrid', 'interface'] as const;
  const lab = (i: { name: string; vrid: number; interface: string }) => ({ instance: i.name, vrid: String(i.vrid), interface: i.interface });
  const perInstance = (name: string, help: string, pick: (s: ReturnType<typeof snap>['vrrp'][number]) => number, kind: 'counter' | 'gauge') => {
    if (kind === 'gauge') {
      new Gauge({
        name,
        help,
        labelNames: inst,
        registers: [reg],
        collect() {
          this.reset();
          for (const i of snap().vrrp) this.set(lab(i), pick(i));
        },
      });
    } else {
      new Counter({
        name,
        help,
        labelNames: inst,
        registers: [reg],
        collect() {
          this.reset();
          for (const i of snap().vrrp) this.inc(lab(i), pick(i));
        },
      });
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
  new Gauge({
    name: 'tskeepalived_vrrp_tracker_up',
    help: 'What an instance tracks (interface, script, process, file): 1 up, 0 down',
    labelNames: [...inst, 'kind', 'tracked'],
    registers: [reg],
    collect() {
      this.reset();
      for (const i of snap().vrrp) for (const t of i.trackers ?? []) this.set({ ...lab(i), kind: t.kind, tracked: t.name }, t.up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'tskeepalived_vrrp_tracker_weight',
    help: 'The weight a tracked object moves the priority by (0: FAULT when down)',
    labelNames: [...inst, 'kind', 'tracked'],
    registers: [reg],
    collect() {
      this.reset();
      for (const i of snap().vrrp) for (const t of i.trackers ?? []) this.set({ ...lab(i), kind: t.kind, tracked: t.name }, t.reverse ? -t.weight : t.weight);
    },
  });
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
  return reg;
}

export class MetricsServer {
  private constructor(private readonly server: http.Server) {}

  static async listen(spec: string, src: MetricsSource): Promise<MetricsServer> {
    const { host, port } = parseListen(spec);
    let current: DaemonSnapshot | undefined;
    const reg = buildRegistry(() => current ?? { pid: process.pid, configFile: '', startedAt: '', reloads: { ok: 0, failed: 0 }, vrrp: [], ipvs: false });
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      // Liveness: this process answers. Readiness: its children run (load balancers and orchestrators probe these).
      if (url.pathname === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      if (url.pathname === '/readyz') {
        const r = src.readiness?.() ?? { ready: true };
        return void res.writeHead(r.ready ? 200 : 503, { 'content-type': 'text/plain' }).end(r.ready ? 'ready\n' : `not ready: ${r.why ?? 'starting'}\n`);
      }
      if (url.pathname !== '/metrics' && url.pathname !== '/') return void res.writeHead(404).end('try /metrics, /healthz or /readyz\n');
      // ?name[]=FAMILY (repeatable; also name=): only those families, as node_exporter's collect[] filter;
      // a scraper that needs a few series does not pay for 10,000 real servers' worth.
      const names = [...url.searchParams.getAll('name[]'), ...url.searchParams.getAll('name')];
      const want = names.length ? (n: string) => names.includes(n) : () => true;
      let gone = false;
      res.on('close', () => (gone = true));
      const counters = () => src.ipvsCounters();
      src
        .snapshot()
        .then((s) => {
          current = s;
          const own = names.length
            ? Promise.all(names.filter((n) => reg.getSingleMetric(n)).map((n) => reg.getSingleMetricAsString(n))).then((t) => t.map((x) => `${x}\n`).join(''))
            : reg.metrics();
          return Promise.all([own, bulkFamilies(s, counters, want, () => gone)]);
        })
        .then(
          ([text, bulk]) => res.writeHead(200, { 'content-type': reg.contentType }).end(text + bulk),
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
