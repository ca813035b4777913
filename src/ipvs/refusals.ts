/**
 * IPVS layer, pure: which kernel refusals are worth a log line. A pass that meets the same refusal
 * again (an unknown scheduler stays unknown until the module is loaded) retries silently instead of
 * logging every entry on every health pass; an entry that succeeds is forgotten, so a later refusal is
 * logged again, and clear() (a start or reload) reports everything afresh. BOUNDED by the configuration:
 * one key per configured entry.
 */
import { opTarget, type OpResult } from './explain.js';
import type { IpvsOp } from './types.js';

export class RefusalMemory {
  private readonly logged = new Map<string, string>();

  /**
   * How many results failed, and the messages not logged before for the same entry; `where` names the
   * configuration's file:line of a refused entry, added to its message in parentheses.
   */
  sort(results: ReadonlyArray<OpResult>, where?: (op: IpvsOp) => string | undefined): { failed: number; fresh: string[] } {
    let failed = 0;
    const fresh: string[] = [];
    for (const r of results) {
      const key = opTarget(r.op);
      if (r.ok) {
        this.logged.delete(key);
        continue;
      }
      failed++;
      if (this.logged.get(key) === r.message) continue;
      this.logged.set(key, r.message);
      const at = where?.(r.op);
      fresh.push(at ? `${r.message} (${at})` : r.message);
    }
    return { failed, fresh };
  }

  clear(): void {
    this.logged.clear();
  }
}
