/**
 * On a kernel without IPVS (this host's), IpvsClient.open() says so plainly, with a stable code, and
 * leaves no socket holding the process. Where /proc/net/ip_vs exists the family is there: skipped (the
 * VM lab covers that side).
 */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IpvsClient } from '../../../src/ipvs/client.js';

const HAS_IPVS = fs.existsSync('/proc/net/ip_vs');
if (HAS_IPVS) console.log('client-unavailable: skipped, this kernel has IPVS (/proc/net/ip_vs exists)');

describe.skipIf(HAS_IPVS)('IpvsClient.open() without IPVS in the kernel', () => {
  it('rejects with code IPVS_UNAVAILABLE and "IPVS not available: load the ip_vs module (<cause>)"', async () => {
    const err = await IpvsClient.open({ timeoutMs: 5000 }).then(
      (c) => {
        c.close();
        return undefined;
      },
      (e: Error & { code?: string }) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err?.code).toBe('IPVS_UNAVAILABLE');
    expect(err?.message).toMatch(/^IPVS not available: load the ip_vs module \(.+\)$/);
    expect(err?.message).toContain('ENOENT'); // the controller's answer for an unknown family
    expect(err?.cause).toBeInstanceOf(Error);
  });
});
