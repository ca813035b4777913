/** Config layer: defaults and checks for the vrrp part of the model. */
import type { KeepalivedConfig } from '../model.js';
import type { ValidateContext } from './context.js';

export function validateVrrp(_config: KeepalivedConfig, _ctx: ValidateContext): void {}
