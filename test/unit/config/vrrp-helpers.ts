/** Helpers for the VRRP/global config unit tests: load a config text from an in-memory file. */
import { loadConfig, permissiveEnv, type SystemEnv } from '../../../src/config/index.js';
import { memFs } from '../../helpers/memfs.js';

export const FILE = '/etc/keepalived/keepalived.conf';

export function load(text: string, env: Partial<SystemEnv> = {}) {
  const r = loadConfig(FILE, { env: { ...permissiveEnv, ...env }, fs: memFs({ [FILE]: text }), configId: null });
  const diags = r.diagnostics.list.map((d) => ({ severity: d.severity, message: d.message, line: d.loc?.line }));
  return { ...r, diags, vrrp: r.config.vrrp, global: r.config.global };
}

/** The diagnostics whose message matches `re`. */
export function find(r: ReturnType<typeof load>, re: RegExp) {
  return r.diags.filter((d) => re.test(d.message));
}

/** A minimal valid instance block, with extra lines inserted. */
export function instance(extra = '', name = 'VI_1'): string {
  return `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id 51\n${extra}\n  virtual_ipaddress {\n    192.0.2.10/24\n  }\n}\n`;
}
