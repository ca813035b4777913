/**
 * Config model: a script as a keyword gives it (notify, track, check and FIFO scripts). Kept in the model,
 * not the keyword readers (schema.ts), so the model types depend on nothing but locations.
 */
import type { Loc } from '../diagnostics.js';

export interface Script {
  /** The command as written (quotes removed by the line reader). */
  cmd: string;
  argv: string[];
  loc: Loc;
  /** `user [group]` to run it as, when given on the line (notify scripts) or by `user`. */
  user?: string;
  group?: string;
}
