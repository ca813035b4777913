/** Keyword tables: the root of keepalived.conf, composed from each subsystem's root keywords. */
import type { Schema } from '../schema.js';
import { globalRootKeywords } from './global.js';
import { vrrpRootKeywords } from './vrrp.js';
import { lvsRootKeywords } from './lvs.js';

export function rootKeywords(): Schema {
  return { ...globalRootKeywords, ...vrrpRootKeywords, ...lvsRootKeywords };
}
