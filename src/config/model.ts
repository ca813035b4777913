/**
 * Config layer: the resolved model of a keepalived.conf, the one structure every subsystem reads.
 *
 * Each subsystem owns its part (model/*.ts); this file composes them. Values are in host units with
 * the unit in the name where it matters (`advertIntS`, `delayLoopS`), defaults are filled in by the
 * resolve step (validate/*.ts), and every node keeps the `loc` (file:line) it was defined at so that
 * later errors (a reload, a netlink rejection) can point back into the file.
 */
import type { GlobalDefs } from './model/global.js';
import type { VrrpConfig } from './model/vrrp.js';
import type { LvsConfig } from './model/lvs.js';
import { emptyGlobal } from './model/global.js';
import { emptyVrrp } from './model/vrrp.js';
import { emptyLvs } from './model/lvs.js';

export interface KeepalivedConfig {
  global: GlobalDefs;
  vrrp: VrrpConfig;
  lvs: LvsConfig;
}

export function emptyConfig(): KeepalivedConfig {
  return { global: emptyGlobal(), vrrp: emptyVrrp(), lvs: emptyLvs() };
}
