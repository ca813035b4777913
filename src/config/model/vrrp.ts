/** Config model: VRRP instances, sync groups, track scripts/files/processes, static addresses/routes/rules, BFD. */
export interface VrrpConfig {
  instances: unknown[];
}
export function emptyVrrp(): VrrpConfig {
  return { instances: [] };
}
