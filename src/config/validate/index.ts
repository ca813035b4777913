/**
 * Config layer: the resolve/validate pass over a parsed model, in keepalived's order:
 * global first, then VRRP, then LVS/checkers, then the scripts all of them registered.
 */
import type { KeepalivedConfig } from '../model.js';
import type { ValidateContext } from './context.js';
import { validateGlobal } from './global.js';
import { validateVrrp } from './vrrp.js';
import { validateLvs, type VsReuse } from './lvs.js';
import { checkScripts, scriptPolicy } from './scripts.js';

/** `reuse`: virtual servers validated by an earlier load (reload.ts), not to be checked again. */
export function validate(config: KeepalivedConfig, ctx: ValidateContext, reuse?: VsReuse): void {
  validateGlobal(config, ctx);
  validateVrrp(config, ctx);
  validateLvs(config, ctx, reuse);
  checkScripts(ctx, scriptPolicy(config.global));
}
