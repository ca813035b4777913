/**
 * A time limit that fires after the I/O polled in the same turn of the event loop. libuv runs due timers
 * before it polls, so after a stall a plain setTimeout would declare a timeout even though the answer
 * arrived in time and is waiting to be read; this one defers its callback to setImmediate (after the poll
 * phase), so the answer wins and a director's own lag does not fail a check or a netlink request.
 */
export interface LateTimer {
  /** Stops it, also when it is due and waiting for the poll phase. */
  cancel(): void;
}

export function lateTimer(fn: () => void, ms: number): LateTimer {
  let immediate: NodeJS.Immediate | undefined;
  const timeout = setTimeout(() => (immediate = setImmediate(fn)), ms);
  return {
    cancel: () => {
      clearTimeout(timeout);
      if (immediate) clearImmediate(immediate);
    },
  };
}
