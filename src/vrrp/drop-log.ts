/**
 * VRRP layer, pure: the log lines of dropped adverts, rate-limited. A hostile or broken host on the LAN can
 * send thousands of bad adverts a second; each is counted (the metrics' drops by reason), but only the
 * first `burst` of each window are logged one by one. The rest are summed by reason and told in one line
 * when the next window opens (at the next drop after it), so the log grows by a bounded amount per window
 * whatever the rate. The clock is injected.
 */
export interface DropLogOptions {
  /** Lines logged one by one per window. */
  burst: number;
  windowMs: number;
}

export const DROP_LOG_DEFAULTS: DropLogOptions = { burst: 10, windowMs: 10_000 };

export class DropLog {
  private windowStart = -Infinity;
  private logged = 0;
  /** reason -> drops not logged in the current window. BOUNDED by the drop reasons. */
  private readonly held = new Map<string, number>();

  constructor(
    private readonly now: () => number,
    private readonly emit: (line: string) => void,
    private readonly prefix: string,
    private readonly opts: DropLogOptions = DROP_LOG_DEFAULTS,
  ) {}

  /** A drop for `reason`; `line` builds its text, only when it is logged. */
  note(reason: string, line: () => string): void {
    const t = this.now();
    if (t - this.windowStart >= this.opts.windowMs) {
      this.flush(t);
      this.windowStart = t;
      this.logged = 0;
    }
    if (this.logged < this.opts.burst) {
      this.logged++;
      this.emit(line());
      return;
    }
    this.held.set(reason, (this.held.get(reason) ?? 0) + 1);
  }

  private flush(t: number): void {
    if (this.held.size === 0) return;
    let total = 0;
    const parts: string[] = [];
    for (const [reason, n] of this.held) {
      total += n;
      parts.push(`${reason} ${n}`);
    }
    this.held.clear();
    const secs = Math.round((t - this.windowStart) / 1000);
    this.emit(`${this.prefix} ${total} more adverts dropped in ${secs} s, not logged one by one (${parts.join(', ')})`);
  }
}
