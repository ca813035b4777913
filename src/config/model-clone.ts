/**
 * Config layer, pure: a deep copy of part of the model, optionally with its locations moved.
 *
 * reload.ts keeps parts of a load as parsed (before validation changes them) and validates copies of them
 * at the next load; when lines were added or removed above a part, its copy carries the new line numbers.
 * The copy is what a new parse would give: same keys in the same order, the written-field records of
 * keywords/lvs-util.ts (its WRITTEN symbol property) copied along. The model is plain data (objects,
 * arrays, strings, numbers, booleans) whose objects are reached by one path each, locations excepted
 * (test/unit/config/reload.test.ts checks both): a location reached twice is copied twice, which nothing
 * can tell since locations are never changed.
 */
import type { Loc } from './diagnostics.js';
import { WRITTEN } from './keywords/lvs-util.js';
import type { VirtualServer } from './model/lvs.js';

/** The line a location's line becomes; undefined when that line itself changed. */
export type LineMap = (file: string, line: number) => number | undefined;

/** Thrown when a part cannot be copied: reload.ts then loads the whole file. */
export class CloneRefused extends Error {
  override readonly name = 'CloneRefused';
}

/** A copy of `value`; with `map`, every location ({file, line}) in it has its line mapped. */
export function cloneModel<T>(value: T, map?: LineMap): T {
  const copy = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null) {
      if (typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') throw new CloneRefused(`cannot copy a ${typeof v}`);
      return v;
    }
    if (Array.isArray(v)) {
      const a = new Array<unknown>(v.length);
      for (let i = 0; i < v.length; i++) a[i] = copy(v[i]);
      return a;
    }
    if (Object.getPrototypeOf(v) !== Object.prototype) throw new CloneRefused(`cannot copy a ${v.constructor?.name ?? 'null-prototype object'}`);
    const src = v as Record<string, unknown> & { [WRITTEN]?: unknown };
    const o: Record<string, unknown> = {};
    for (const k in src) o[k] = copy(src[k]);
    if (map !== undefined && typeof src.line === 'number' && typeof src.file === 'string') {
      const line = map(src.file, src.line);
      if (line === undefined) throw new CloneRefused(`${(src as unknown as Loc).file}:${src.line} changed`);
      o.line = line;
    }
    const w = src[WRITTEN];
    if (w !== undefined) Object.defineProperty(o, WRITTEN, { value: copy(w), enumerable: false, writable: false, configurable: true });
    return o;
  };
  return copy(value) as T;
}

/** `copy` with the written-field record of `from` (the same record: it is not changed after validation). */
function withWritten<T extends object>(copy: T, from: object): T {
  const w = (from as { [WRITTEN]?: unknown })[WRITTEN];
  if (w !== undefined) Object.defineProperty(copy, WRITTEN, { value: w, enumerable: false, writable: false, configurable: true });
  return copy;
}

/**
 * A copy of a checked virtual server down to what validation's script checks change (validate/lvs.ts,
 * validate/scripts.ts drop a script by deleting it from its virtual or real server, or by giving a real
 * server a new checker list): the virtual server, its real servers and their checker lists; the rest is
 * shared, never changed after validation.
 */
export function copyForScriptChecks(vs: VirtualServer): VirtualServer {
  const c = withWritten({ ...vs }, vs);
  c.realServers = vs.realServers.map((rs) => withWritten({ ...rs, checkers: rs.checkers.slice() }, rs));
  return c;
}
