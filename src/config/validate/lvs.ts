/** Config layer: defaults and checks for the lvs part of the model. */
import type { KeepalivedConfig } from '../model.js';
import type { ValidateContext } from './context.js';

export function validateLvs(_config: KeepalivedConfig, _ctx: ValidateContext): void {}
