/** Helpers for the config unit tests: load a config text from an in-memory file, find diagnostics, build blocks. */
import { expect } from 'vitest';
import { loadConfig, permissiveEnv, type SystemEnv } from '../../../src/config/index.js';
import { memFs } from '../../helpers/memfs.js';

export const FILE = '/etc/keepalived/keepalived.conf';
export const at = (line: number) => ({ file: FILE, line });

/** The walker's reports from the support table: `KEYWORD is not acted on...` and the keepalived 2.2.7 warning. */
const TABLE_REPORT = /^\S+ is not acted on by tskeepalived: |^'\S+' is a keyword of keepalived /;

/**
 * `diags`: every diagnostic except the support table's reports, which `reports` holds (tested in
 * keyword-support.test.ts), so the other tests see only what they are about.
 */
export function load(text: string, env: Partial<SystemEnv> = {}) {
  const r = loadConfig(FILE, { env: { ...permissiveEnv, ...env }, fs: memFs({ [FILE]: text }), configId: null });
  const all = r.diagnostics.list.map((d) => ({ severity: d.severity, message: d.message, line: d.loc?.line }));
  const diags = all.filter((d) => !TABLE_REPORT.test(d.message));
  const reports = all.filter((d) => TABLE_REPORT.test(d.message));
  return { ...r, diags, reports, vrrp: r.config.vrrp, global: r.config.global, lvs: r.config.lvs };
}

/** The diagnostics whose message matches `re`. */
export function find(r: ReturnType<typeof load>, re: RegExp) {
  return r.diags.filter((d) => re.test(d.message));
}

/** The one diagnostic matching `re`: its severity and line. */
export function one(r: ReturnType<typeof load>, re: RegExp) {
  const hits = find(r, re);
  expect(hits, `diagnostics: ${JSON.stringify(r.diags)}`).toHaveLength(1);
  return { severity: hits[0]!.severity, line: hits[0]!.line };
}

/** A minimal valid instance block, with extra lines inserted. */
export function instance(extra = '', name = 'VI_1'): string {
  return `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id 51\n${extra}\n  virtual_ipaddress {\n    192.0.2.10/24\n  }\n}\n`;
}

export const vs = (body: string, head = '192.0.2.1 80') => `virtual_server ${head} {\n${body}\n}\n`;
export const rs = (body = '', head = '203.0.113.11 80') => `  real_server ${head} {\n${body}\n  }`;
/** protocol, scheduler and method given: no defaulting warnings. Lines 2-4 of a `vs()` block. */
export const STD = '  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n';
