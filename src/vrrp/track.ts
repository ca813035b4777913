/**
 * VRRP layer, pure: what tracked objects do to an instance, with keepalived's rules.
 * - weight 0: the object failing puts the instance in FAULT (with `reverse`: the object succeeding);
 * - weight > 0: added to the priority while the object is up;
 * - weight < 0: added (so subtracted) while the object is down;
 * - `reverse` inverts the direction of the adjustment: the same amount is subtracted where it would have
 *   been added (keepalived's weight_multiplier of -1).
 * The result is clamped to 1..254; the address owner (255) is not adjusted (keepalived forbids weights there).
 */

export interface TrackedItem {
  kind: 'script' | 'interface' | 'file' | 'process';
  name: string;
  up: boolean;
  weight: number;
  reverse: boolean;
  /**
   * track_file: the number read from the file. keepalived: with weight 0 a non-zero value is a failure;
   * otherwise value x weight (negated with reverse) is added to the priority, and below -253 it is FAULT.
   */
  value?: number;
}

export function effectivePriority(base: number, items: readonly TrackedItem[]): { priority: number; fault: boolean; faultBy?: string } {
  let p = base;
  for (const it of items) {
    if (it.value !== undefined) {
      if (it.weight === 0) {
        if ((it.value !== 0) !== it.reverse) return { priority: base, fault: true, faultBy: `${it.kind} ${it.name}` };
        continue;
      }
      const c = it.value * it.weight * (it.reverse ? -1 : 1);
      if (c < -253) return { priority: base, fault: true, faultBy: `${it.kind} ${it.name}` };
      p += c;
      continue;
    }
    if (it.weight === 0) {
      // reverse with weight 0: the instance is down while the object is UP.
      if (it.up === it.reverse) return { priority: base, fault: true, faultBy: `${it.kind} ${it.name}` };
      continue;
    }
    const c = it.weight > 0 ? (it.up ? it.weight : 0) : it.up ? 0 : it.weight;
    p += it.reverse ? -c : c;
  }
  if (base === 255) return { priority: 255, fault: false };
  return { priority: Math.max(1, Math.min(254, p)), fault: false };
}

/** rise/fall hysteresis of a tracked script: the new up/down after one result. */
export function nextScriptState(s: { up: boolean; streak: number }, ok: boolean, rise: number, fall: number): { up: boolean; streak: number } {
  if (ok === s.up) return { up: s.up, streak: 0 };
  const streak = s.streak + 1;
  if (ok && streak >= rise) return { up: true, streak: 0 };
  if (!ok && streak >= fall) return { up: false, streak: 0 };
  return { up: s.up, streak };
}
