/** Config layer: defaults and checks for the global part of the model. */
import type { KeepalivedConfig } from '../model.js';
import type { ValidateContext } from './context.js';

export function validateGlobal(_config: KeepalivedConfig, _ctx: ValidateContext): void {}
