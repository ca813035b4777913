/**
 * Keyword tables, pure: keepalived's numeric readers for the LVS/checker tables, with its ranges and
 * "ignoring" behaviour (report, return undefined, keep the previous value).
 */
import type { KwCtx } from '../schema.js';

export const UINT_MAX = 4294967295;
export const IPVS_WEIGHT_MAX = 2147483647;

/** An unsigned decimal integer in [min, max] (keepalived's read_unsigned_strvec). */
export function uintArg(c: KwCtx, min: number, max: number, what: string): number | undefined {
  const s = c.str(0);
  if (!/^\d+$/.test(s) || Number(s) < min || Number(s) > max) {
    c.error(`${what} '${s}' is invalid - ignoring: expected an integer in [${min}, ${max}]`);
    return undefined;
  }
  return Number(s);
}

/** A time in seconds with up to 6 decimals, at least minS (keepalived's read_timer). */
export function secondsArg(c: KwCtx, minS: number, what: string): number | undefined {
  const s = c.str(0);
  if (!/^(\d+(\.\d{0,6})?|\.\d{1,6})$/.test(s) || Number(s) < minS || Number(s) > UINT_MAX) {
    c.error(`${what} '${s}' is invalid - ignoring: expected seconds >= ${minS} with up to 6 decimals`);
    return undefined;
  }
  return Number(s);
}
