/**
 * Util layer: the clock every timer-driven part takes (VRRP runners, the IPVS requester, the checkers'
 * timer wheel), so tests drive time by hand instead of sleeping. Times are milliseconds on a monotonic
 * scale (performance.now()), never wall time.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(h: unknown): void;
  /**
   * Runs `fn` once the packets already queued on the sockets have been read (Node: setImmediate, which
   * runs after the poll phase that follows the timers). Without it, `fn` runs at once.
   */
  afterPendingIo?(fn: () => void): void;
}

/**
 * Node's timers. VRRP's adver and Master_Down timers must be precise to the millisecond: plain setTimeout.
 * (Deadlines that should lose to an answer already received use util/late-timer.ts instead, as the IPVS
 * requester does.)
 */
export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  afterPendingIo: (fn) => void setImmediate(fn),
};
