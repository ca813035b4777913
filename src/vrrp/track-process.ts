/**
 * VRRP layer: vrrp_track_process. The pure part says whether one process matches a definition and
 * whether a count of matches meets the quorum, as keepalived.conf(5) describes: an exact match of the
 * process name (the Name: of /proc/PID/status, i.e. comm), or of argv[0] when parameters are given or
 * `full_command` is set; parameters compared exactly, or the first N (`partial`), or with the last one as
 * a prefix (`initial`); `param_match` without parameters means "no parameters at all". The edge part
 * (ProcessTracker) scans /proc on an interval and applies fork_delay / terminate_delay.
 *
 * keepalived is told of process changes by the kernel's proc connector; tskeepalived scans /proc every
 * 500 ms instead (one readdir and a small read per process), so a change is seen within half a second.
 */
import * as fs from 'node:fs';
import type { TrackProcess } from '../config/model/vrrp.js';

export interface ProcInfo {
  /** /proc/PID/comm: the kernel's process name, at most 15 characters. */
  comm: string;
  /** /proc/PID/cmdline split on NUL. */
  argv: string[];
}

const COMM_LEN = 15;

/** Does this process match the definition? (pure) */
export function processMatches(def: TrackProcess, p: ProcInfo): boolean {
  const want = def.process;
  if (want === undefined) return false;
  const byCmdline = def.fullCommand || def.params.length > 0 || def.paramMatch !== 'none';
  if (!byCmdline) return p.comm === want.slice(0, COMM_LEN);
  if (p.argv[0] !== want) return false;
  const args = p.argv.slice(1);
  const params = def.params;
  if (params.length === 0) return def.paramMatch === 'none' ? true : args.length === 0;
  if (args.length < params.length) return false;
  switch (def.paramMatch) {
    case 'partial':
      return params.every((x, i) => args[i] === x);
    case 'initial':
      return params.every((x, i) => (i === params.length - 1 ? args[i]!.startsWith(x) : args[i] === x));
    default:
      return args.length === params.length && params.every((x, i) => args[i] === x);
  }
}

/** keepalived: up while quorum <= matching processes <= quorum_max. (pure) */
export function processQuorumUp(def: TrackProcess, count: number): boolean {
  return count >= def.quorum && count <= def.quorumMax;
}

/** Every process of this PID namespace (the edge). Vanishing processes are skipped. */
export function scanProcesses(procDir = '/proc'): ProcInfo[] {
  const out: ProcInfo[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(procDir);
  } catch {
    return out;
  }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const comm = fs.readFileSync(`${procDir}/${n}/comm`, 'utf8').replace(/\n$/, '');
      const raw = fs.readFileSync(`${procDir}/${n}/cmdline`, 'utf8');
      out.push({ comm, argv: raw.split('\0').filter((x, i, a) => x !== '' || i < a.length - 1) });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

export interface ProcessTrackerLog {
  info(msg: string): void;
}

/**
 * Tracks every vrrp_track_process in use with one /proc scan per interval. Each definition is up
 * or down; a change waits fork_delay (going up) or terminate_delay (going down) and is dropped if the
 * count flips back meanwhile, as keepalived avoids bouncing on fork/exec and parent re-forks.
 */
export class ProcessTracker {
  /** BOUNDED by the vrrp_track_process blocks in use. */
  private readonly state = new Map<string, { up: boolean; pending?: { up: boolean; at: number } }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private defs: TrackProcess[],
    private readonly onChange: () => void,
    private readonly log: ProcessTrackerLog,
    private readonly scan: () => ProcInfo[] = scanProcesses,
    private readonly periodMs = 500,
  ) {
    const procs = this.scan();
    for (const d of defs) this.state.set(d.name, { up: processQuorumUp(d, procs.filter((p) => processMatches(d, p)).length) });
  }

  /** Whether the named process definition is up now. */
  isUp(name: string): boolean {
    return this.state.get(name)?.up ?? false;
  }

  /** Replaces the definitions (reload); unchanged ones keep their state. */
  setDefs(defs: TrackProcess[]): void {
    const keep = new Set(defs.map((d) => d.name));
    for (const n of [...this.state.keys()]) if (!keep.has(n)) this.state.delete(n);
    const procs = defs.some((d) => !this.state.has(d.name)) ? this.scan() : [];
    for (const d of defs) if (!this.state.has(d.name)) this.state.set(d.name, { up: processQuorumUp(d, procs.filter((p) => processMatches(d, p)).length) });
    this.defs = defs;
  }

  start(): void {
    this.timer = setInterval(() => this.tick(Date.now()), this.periodMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One scan at `nowMs` (exposed for tests). */
  tick(nowMs: number): void {
    if (this.defs.length === 0) return;
    const procs = this.scan();
    let changed = false;
    for (const d of this.defs) {
      const s = this.state.get(d.name)!;
      const up = processQuorumUp(d, procs.filter((p) => processMatches(d, p)).length);
      if (up === s.up) {
        s.pending = undefined;
        continue;
      }
      const delayMs = ((up ? d.forkDelayS : d.terminateDelayS) ?? 0) * 1000;
      if (!s.pending || s.pending.up !== up) s.pending = { up, at: nowMs + delayMs };
      if (nowMs >= s.pending.at) {
        s.up = up;
        s.pending = undefined;
        changed = true;
        this.log.info(`track_process ${d.name} is now ${up ? 'up' : 'down'}`);
      }
    }
    if (changed) this.onChange();
  }
}
