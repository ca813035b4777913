/**
 * Checker layer, edge: the native TCP check engine (native/tcp_engine.c, built by scripts/build-native.mjs
 * into dist/native/). A TCP_CHECK attempt is a handshake done in C on one epoll descriptor watched by the
 * event loop; completed attempts come back in batches. A scheduled slot (schedule()) whose checker is up
 * repeats its successes in C, so in steady state a check costs no JavaScript at all; a one-shot attempt
 * (start()) costs a call and a callback instead of a TCP handle, a request object, a promise and a timer.
 *
 * One engine per process (per worker thread). Each TCP_CHECK prober holds a slot, its target (address,
 * port, bindto/bind_port, bind_if, fwmark, connect_timeout) set once; a prober released (checker removed
 * or replaced by a reload) frees its slot for the next: the table is BOUNDED by the checkers configured
 * at once.
 *
 * Not loadable (no compiler at build time, TSKEEPALIVED_NATIVE=0): nativeTcpEngine() returns undefined
 * and TCP_CHECK uses Node's TCP handles (probes/tcp.ts), which is slower, not different.
 */
import type { CheckerConnection } from '../../config/model/lvs.js';
import { markFailure } from '../../net/sockopt.js';
import { osErrnoName } from '../../util/errno.js';
import { errorText } from '../../util/errors.js';
import { loadNativeAddon } from '../../util/native-addon.js';

interface Addon {
  open(onResults: (n: number) => void, results: Int32Array): object;
  target(
    e: object,
    slot: number,
    family: 4 | 6,
    addr: string,
    port: number,
    bindAddr: string | null,
    bindPort: number,
    ifname: string | null,
    mark: number,
    timeoutMs: number,
  ): number;
  start(e: object, slot: number): number;
  arm(e: object, slot: number, delayMs: number, routineMs: number): number;
  heapLimit(e: object, n: number): void;
  stats(e: object, slot: number): [number, number];
  cancel(e: object, slot: number): void;
  close(e: object): void;
}

/** An attempt's end: errno 0 = connected (plus STAGE_* when a socket option failed); microseconds from start. */
export type AttemptDone = (errno: number, us: number) => void;

/** Completed attempts handed over per batch (triples); more wait for the next batch. */
const BATCH = 4096;

export class NativeTcpEngine {
  private readonly results = new Int32Array(3 * BATCH);
  private readonly handle: object;
  /** Slot -> the attempt in flight's callback (start()). BOUNDED by the targets. */
  private readonly waiting: Array<AttemptDone | undefined> = [];
  /** Slot -> where the results of its scheduled attempts go (schedule()). */
  private readonly handlers: Array<AttemptDone | undefined> = [];
  /** Slot -> the signal of the attempt in flight (an abort ends those attempts). */
  private readonly signals: Array<AbortSignal | undefined> = [];
  /** Slots released, for the next target. */
  private readonly free: number[] = [];
  private count = 0;
  private readonly watched = new WeakSet<AbortSignal>();

  constructor(private readonly addon: Addon) {
    this.handle = addon.open((n) => this.onResults(n), this.results);
  }

  /** A slot aimed at a checker's connection settings; throws on an address the engine cannot parse. */
  target(c: CheckerConnection): number {
    const timeoutMs = Math.max(1, Math.round(c.connectTimeoutS * 1000));
    const slot = this.free.pop() ?? this.count;
    try {
      this.addon.target(
        this.handle,
        slot,
        c.family === 'inet6' ? 6 : 4,
        c.connectIp,
        c.connectPort,
        c.bindTo ?? null,
        c.bindPort,
        c.bindIf ?? null,
        c.fwmark >>> 0,
        timeoutMs,
      );
    } catch (e) {
      if (slot < this.count) this.free.push(slot);
      throw e;
    }
    if (slot === this.count) this.count++;
    return slot;
  }

  /** The slot is no longer used: an attempt in flight ends (aborted) and the slot serves the next target. */
  release(slot: number): void {
    if (this.waiting[slot]) this.end(slot, ECANCELED);
    else this.addon.cancel(this.handle, slot);
    this.handlers[slot] = undefined;
    this.free.push(slot);
  }

  /**
   * The engine runs the slot's checks: the next in `ms`; with `routineMs` > 0 each success repeats every
   * routineMs in C without calling back, and only another outcome calls `onResult` (the caller then arms
   * the slot again). With routineMs 0 every result calls back.
   */
  schedule(slot: number, ms: number, routineMs: number, onResult: AttemptDone): void {
    this.handlers[slot] = onResult;
    const err = this.addon.arm(this.handle, slot, ms, Math.max(0, Math.round(routineMs)));
    // The engine could not hold the schedule (ENOMEM): the check that was due ends with that cause when it
    // was due (at least a second on), a check this host could not make (probe.ts), and the caller arms the
    // slot again then. The checker keeps running.
    if (err) setTimeout(() => this.handlers[slot] === onResult && onResult(err, 0), Math.max(ms, RETRY_MS));
  }

  /** Tests: the engine's schedule refuses to hold more than `n` entries (-1: no limit), as if memory ran out. */
  limitSchedule(n: number): void {
    this.addon.heapLimit(this.handle, n);
  }

  /** Successes handled in C since the slot's target was set, and the last attempt's duration (us). */
  stats(slot: number): { routine: number; lastUs: number } {
    const [routine, lastUs] = this.addon.stats(this.handle, slot);
    return { routine, lastUs };
  }

  /**
   * One attempt on `slot`; `done` runs once, later, or at once when the attempt could not start (then
   * with the errno: EMFILE, ENODEV for a bind_if...). An abort of `signal` ends it with ECANCELED.
   */
  start(slot: number, signal: AbortSignal, done: AttemptDone): void {
    if (signal.aborted) return done(ECANCELED, 0);
    if (this.waiting[slot]) this.end(slot, ECANCELED);
    const err = this.addon.start(this.handle, slot);
    if (err) return done(err, 0);
    this.waiting[slot] = done;
    this.signals[slot] = signal;
    if (!this.watched.has(signal)) {
      this.watched.add(signal);
      signal.addEventListener('abort', () => this.aborted(signal), { once: true });
    }
  }

  private aborted(signal: AbortSignal): void {
    for (let slot = 0; slot < this.signals.length; slot++) if (this.signals[slot] === signal && this.waiting[slot]) this.end(slot, ECANCELED);
  }

  private end(slot: number, errno: number): void {
    const done = this.waiting[slot]!;
    this.waiting[slot] = undefined;
    this.signals[slot] = undefined;
    this.addon.cancel(this.handle, slot);
    done(errno, 0);
  }

  private onResults(n: number): void {
    const r = this.results;
    for (let i = 0; i < n; i++) {
      const slot = r[3 * i]!;
      const done = this.waiting[slot];
      if (done) {
        this.waiting[slot] = undefined;
        this.signals[slot] = undefined;
        done(r[3 * i + 1]!, r[3 * i + 2]!);
      } else this.handlers[slot]?.(r[3 * i + 1]!, r[3 * i + 2]!);
    }
  }
}

/** An attempt the engine could not schedule is failed (and so retried) no sooner than this. */
const RETRY_MS = 1000;
const ECANCELED = 125;
const ETIMEDOUT = 110;
/** Added to the errno by the engine when setting bind_if (SO_BINDTODEVICE) or fwmark (SO_MARK) failed. */
const STAGE_BIND_IF = 1 << 16;
const STAGE_FWMARK = 2 << 16;

/**
 * Why an attempt on `c` failed, worded as the other probes word it: ECONNREFUSED, 'timeout', 'aborted',
 * "bind_if eth9: ENODEV".
 */
export function attemptFailure(errno: number, c: CheckerConnection): string {
  const stage = errno & ~0xffff;
  const e = errno & 0xffff;
  if (stage === STAGE_BIND_IF) return markFailure('bind_if', c, e);
  if (stage === STAGE_FWMARK) return markFailure('fwmark', c, e);
  return e === ECANCELED ? 'aborted' : e === ETIMEDOUT ? 'timeout' : osErrnoName(e);
}

let engine: NativeTcpEngine | null | undefined;
let loadError: string | undefined;

/** The process's engine, or undefined when the addon is not there (why: nativeTcpEngineError()). */
export function nativeTcpEngine(): NativeTcpEngine | undefined {
  if (engine !== undefined) return engine ?? undefined;
  engine = null;
  const r = loadNativeAddon<Addon>('tcp_engine');
  if ('error' in r) {
    loadError = r.error;
    return undefined;
  }
  try {
    engine = new NativeTcpEngine(r.addon);
    loadError = undefined;
  } catch (e) {
    loadError = errorText(e).split('\n')[0];
  }
  return engine ?? undefined;
}

export function nativeTcpEngineError(): string | undefined {
  nativeTcpEngine();
  return loadError;
}
