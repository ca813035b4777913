/**
 * Checker layer: the contract between one health probe and the scheduler that runs it.
 *
 * A probe is one attempt of one checker (TCP_CHECK, HTTP_GET, ...) against one real server. It never
 * throws and never outlives its own time limit (connect_timeout for network checkers, misc_timeout for
 * MISC_CHECK): it resolves with an outcome. Retries, delay_loop, delay_before_retry, alpha/omega and
 * what a failure does to IPVS belong to the scheduler (engine), not here. Probes live in
 * src/check/probes/<kind>.ts; createProbe() in src/check/probes/index.ts picks one for a checker.
 */

export interface ProbeOutcome {
  ok: boolean;
  /**
   * Why the attempt failed, in keepalived's words where it has them, with the target in keepalived's
   * notation, e.g. "TCP connection to [198.51.100.11]:tcp:80 failed: ECONNREFUSED". Absent when ok.
   */
  reason?: string;
  /** MISC_CHECK with misc_dynamic: the weight the exit status asks for (status - 2). */
  weight?: number;
  /** Wall time of the attempt in milliseconds (latency for metrics). */
  ms: number;
}

/**
 * One attempt. `signal` aborts it early (daemon stop, checker removed by a reload); an aborted probe
 * resolves with ok: false, reason 'aborted', and releases its socket or kills its process group.
 */
export interface Probe {
  (signal: AbortSignal): Promise<ProbeOutcome>;
  /** Gives back what the probe holds (its native engine slot) when its checker goes away. */
  release?(): void;
  /** TCP_CHECK on the native engine: the engine can run this probe's schedule itself (check/index.ts). */
  native?: NativeSchedule;
}

/** A probe whose checks the native engine schedules (probes/tcp-engine.ts). */
export interface NativeSchedule {
  /**
   * The next attempt in `ms`; with routineMs > 0 a success repeats every routineMs without a call, any
   * other outcome calls `done` (then arm again). With routineMs 0 every outcome calls `done`.
   */
  arm(ms: number, routineMs: number, done: (o: ProbeOutcome) => void): void;
  /** Successes handled by the engine alone so far, and the last attempt's duration (ms). */
  stats(): { routine: number; lastMs: number };
}

/**
 * Errors that say this host could not make the attempt (out of file descriptors, buffers or memory),
 * which is no verdict on the real server: keepalived reschedules such a check without counting it.
 * Every probe ends a socket error's reason with the errno name.
 */
const LOCAL_FAILURE = /\b(EMFILE|ENFILE|ENOBUFS|ENOMEM)$/;

export function isLocalFailure(o: ProbeOutcome): boolean {
  return !o.ok && LOCAL_FAILURE.test(o.reason ?? '');
}
