/**
 * The supervisor logs every keyword that is not acted on as a warning with its file:line. A reload reads
 * the file through the same function (Supervisor.load's `load`), so it logs them again each time.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Supervisor } from '../../../src/daemon/supervisor.js';
import type { Logger } from '../../../src/daemon/log.js';

describe('supervisor: keywords not acted on', () => {
  it('are logged as warnings with file:line, other infos are not', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tska-kw-'));
    const file = path.join(dir, 'keepalived.conf');
    fs.writeFileSync(file, 'global_defs {\n  nftables_counters\n  vrrp_garp_interval 2\n  enable_snmp_vrrp\n}\n');
    const lines: string[] = [];
    const log = { info: () => undefined, warn: (m: string) => lines.push(m), error: (m: string) => lines.push(`error: ${m}`) } as unknown as Logger;
    try {
      const loaded = Supervisor.load({ file, detail: false, vrrpOnly: false, checkOnly: false }, log);
      expect(typeof loaded).toBe('object');
      expect(lines).toEqual([
        `${file}:2: info: nftables_counters is not acted on by tskeepalived: no_accept filtering always uses nftables, in its own table with keepalived's default layout; iptables, ipsets and the nftables tuning keywords are not used, nor IPVS fwmark rules`,
        `${file}:4: info: enable_snmp_vrrp is not acted on by tskeepalived: SNMP is not built`,
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
