/**
 * Daemon layer (pure): which processes a configuration needs and the part of it each one receives.
 *
 * The supervisor reads and validates the whole file; the VRRP process gets the global definitions and the
 * VRRP blocks without the virtual servers (a few kilobytes where the whole file can be megabytes), the
 * checker process gets the global definitions, the virtual servers and the track_files its FILE_CHECKs
 * read. A reload sends a process its new part only when that part changed, so a weight edited in a
 * 10,000-server file costs the VRRP process nothing, and a VIP edited costs the checkers nothing.
 */
import type { KeepalivedConfig } from '../config/model.js';
import { emptyLvs } from '../config/model/lvs.js';
import { emptyVrrp } from '../config/model/vrrp.js';

export type Role = 'vrrp' | 'checkers';

export const ROLES: readonly Role[] = ['vrrp', 'checkers'];

/** keepalived's names for its children, used in the log lines about them. */
export const ROLE_TITLE: Record<Role, string> = { vrrp: 'VRRP', checkers: 'Healthcheck' };

/**
 * The processes to run: VRRP unless -C, the checkers unless -P and only when there are virtual servers
 * (a VRRP-only director, the commonest keepalived set-up, runs two processes, not three).
 */
export function rolesFor(cfg: KeepalivedConfig, o: { vrrpOnly: boolean; checkOnly: boolean }): Role[] {
  const roles: Role[] = [];
  if (!o.checkOnly) roles.push('vrrp');
  if (!o.vrrpOnly && cfg.lvs.virtualServers.length > 0) roles.push('checkers');
  return roles;
}

/** The part of `cfg` the process of `role` runs on. */
export function partFor(role: Role, cfg: KeepalivedConfig): KeepalivedConfig {
  if (role === 'vrrp') return { global: cfg.global, vrrp: cfg.vrrp, lvs: emptyLvs() };
  return { global: cfg.global, vrrp: { ...emptyVrrp(), trackFiles: cfg.vrrp.trackFiles }, lvs: cfg.lvs };
}
