/**
 * rehearseReload: one reload by difference run in memory from the last load's own texts, its result dropped.
 * It must read nothing, change nothing of the memo, and take the difference path (not a whole parse).
 */
import { describe, expect, it } from 'vitest';
import { permissiveEnv, type LoadOptions } from '../../../src/config/index.js';
import { rehearseReload, reloadConfig } from '../../../src/config/reload.js';
import { memFs } from '../../helpers/memfs.js';

const GEN = '../../../bench/gen-config.js';
const { genConfig } = (await import(GEN)) as { genConfig: (vs?: number, rs?: number) => string };
const MAIN = '/etc/keepalived/keepalived.conf';

describe('rehearseReload', () => {
  it('runs the difference path on the memo alone: no file read, the memo unchanged, the next reload unaffected', () => {
    const files = { [MAIN]: genConfig(20, 3) };
    const fs = memFs(files);
    const opts: LoadOptions = { env: permissiveEnv, fs };
    const first = reloadConfig(undefined, MAIN, opts);
    const before = JSON.stringify(first.memo);
    const reads = fs.reads.length;
    expect(rehearseReload(first.memo, opts)).toBe(true);
    expect(fs.reads.length).toBe(reads);
    expect(JSON.stringify(first.memo)).toBe(before);
    const again = reloadConfig(first.memo, MAIN, opts);
    expect(again.reparsed).toBe(0);
    expect(again.result.config.lvs.virtualServers).toEqual(first.result.config.lvs.virtualServers);
  });

  it('says no for a file without virtual servers and for a memo no reload can start from', () => {
    const vrrpOnly = {
      [MAIN]: 'vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  priority 100\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n',
    };
    const opts: LoadOptions = { env: permissiveEnv, fs: memFs(vrrpOnly) };
    expect(rehearseReload(reloadConfig(undefined, MAIN, opts).memo, opts)).toBe(false);
    const o2: LoadOptions = { env: permissiveEnv, fs: memFs({ [MAIN]: genConfig(2, 1) }) };
    const m = reloadConfig(undefined, MAIN, o2).memo;
    expect(rehearseReload(m, o2)).toBe(true);
    expect(rehearseReload({ ...m, refused: 'the file draws random numbers' }, o2)).toBe(false);
  });
});
