/**
 * Checker layer, pure: one checker's up/down state with keepalived's retry rule (check_api.c and each
 * checker's *_check_thread): a failure while retries are left schedules another attempt after
 * delay_before_retry; the failure that uses the last retry marks the checker down (log_all_failures logs
 * every one). A success marks it up and resets the count. Either way the next regular check comes after
 * delay_loop. `alpha` starts a checker down until its first success.
 */

export interface CheckerState {
  up: boolean;
  /** Failures in a row so far (0 after a success). */
  failures: number;
}

export interface CheckerTimingLike {
  retry: number;
  delayBeforeRetryS: number;
  delayLoopS: number;
  alpha: boolean;
}

export function initialCheckerState(t: Pick<CheckerTimingLike, 'alpha'>): CheckerState {
  return { up: !t.alpha, failures: 0 };
}

export interface CheckerStep {
  state: CheckerState;
  /** The checker went up or down with this result. */
  changed: boolean;
  /** When to check again, in milliseconds. */
  nextMs: number;
}

export function afterResult(s: CheckerState, ok: boolean, t: CheckerTimingLike): CheckerStep {
  const loopMs = t.delayLoopS * 1000;
  if (ok) return { state: { up: true, failures: 0 }, changed: !s.up, nextMs: loopMs };
  const failures = s.failures + 1;
  if (failures <= t.retry) return { state: { up: s.up, failures }, changed: false, nextMs: t.delayBeforeRetryS * 1000 };
  // Out of retries: down, and back to the regular interval (the count restarts).
  return { state: { up: false, failures: 0 }, changed: s.up, nextMs: loopMs };
}

const INT32_MAX = 2 ** 31 - 1;

/**
 * FILE_CHECK (keepalived check_file.c / track_file.c): the tracked file's number decides. With weight 0
 * a non-zero value is a failure (reverse: zero is); otherwise value x weight (negated by reverse), kept
 * within 32 bits, is added to the real server's weight, and only a result at the very bottom of the range
 * (keepalived's IPVS_WEIGHT_FAULT, -2^31) takes it down.
 */
export function fileCheckStatus(value: number, weight: number, reverse: boolean): { up: boolean; delta: number } {
  if (weight === 0) return { up: (value === 0) !== reverse, delta: 0 };
  const status = Math.max(-INT32_MAX - 1, Math.min(INT32_MAX, value * weight * (reverse ? -1 : 1)));
  return status <= -INT32_MAX - 1 ? { up: false, delta: 0 } : { up: true, delta: status };
}
