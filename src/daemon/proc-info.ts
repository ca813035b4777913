/**
 * Daemon layer, edge: how one of the daemon's processes is doing (memory, CPU, how late its event loop
 * runs, how many timers and other resources it holds: a leak shows as a count that only grows), reported in
 * the status, the dumps and the metrics for each process.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Role } from './parts.js';

/** How a process is doing, for the status, dumps and metrics. */
export interface ProcessInfo {
  role: Role | 'supervisor';
  pid: number;
  rssBytes: number;
  cpuSeconds: number;
  /** The event loop's delay since the last look (p99 and max), from perf_hooks. */
  loopLagP99Ms: number;
  loopLagMaxMs: number;
  /** Timers (Timeout, Immediate) and all other resources keeping the event loop alive (handles, requests). */
  timers: number;
  resources: number;
}

/** Started at the first look (a 10 ms timer: not paid by a daemon nobody looks at). */
let lag: ReturnType<typeof monitorEventLoopDelay> | undefined;

/** This process's figures; the loop-delay histogram restarts at each look (zero at the first). */
export function processInfo(role: ProcessInfo['role']): ProcessInfo {
  if (!lag) {
    lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
  }
  const cpu = process.cpuUsage();
  const active = process.getActiveResourcesInfo();
  const info: ProcessInfo = {
    role,
    pid: process.pid,
    rssBytes: process.memoryUsage.rss(),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    loopLagP99Ms: lag.count ? lag.percentile(99) / 1e6 : 0,
    loopLagMaxMs: lag.count ? lag.max / 1e6 : 0,
    timers: active.filter((t) => t === 'Timeout' || t === 'Immediate').length,
    resources: active.length,
  };
  lag.reset();
  return info;
}
