/**
 * Config layer: the resolve/validate pass over a parsed model, in keepalived's order:
 * global first, then VRRP, then LVS/checkers, then the scripts all of them registered.
 */
import type { KeepalivedConfig } from '../model.js';
import type { ValidateContext } from './context.js';
import { validateGlobal } from './global.js';
import { validateVrrp } from './vrrp.js';
import { validateLvs } from './lvs.js';
import { checkScripts, scriptPolicy } from './scripts.js';

export function validate(config: KeepalivedConfig, ctx: ValidateContext): void {
  validateGlobal(config, ctx);
  validateVrrp(config, ctx);
  validateLvs(config, ctx);
  checkScripts(ctx, scriptPolicy(config.global));
}
