/**
 * An overrun of the VRRP process's rtnetlink subscription, on a running MASTER with a keepalived 2.2.7 BACKUP
 * watching. The daemon runs with a 4 KiB subscription buffer (TSKEEPALIVED_TEST_RTNL_RCVBUF), then 1,500
 * IPv6 addresses are added to lo in one `ip -batch`: the kernel drops notifications and reports ENOBUFS.
 * Asserted: the loss is logged and followed by a resync, the VRRP process is the same one (no abort, no
 * respawn), the MASTER keeps its VIP and keepalived never leaves BACKUP; and the subscription still works
 * afterwards: a VIP deleted behind the MASTER's back is noticed ("Netlink reports IP ... removed").
 * Needs root, iproute2 and keepalived; skips, saying so, otherwise.
 */
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh, sleep, waitFor } from '../helpers/netns.js';
import { instanceConf, Lan, labMissing, readPid } from '../helpers/lan.js';

const missing = labMissing(['keepalived']);
if (missing) console.log(`rtnetlink overrun test skipped: ${missing} (it needs root, iproute2 and keepalived)`);

const lan = new Lan('tskov');
const VIP = '192.0.2.100';
const logOf = (f: string) => fs.readFileSync(f, 'utf8');

describe.skipIf(!!missing)('rtnetlink subscription overrun', () => {
  beforeAll(() => lan.up());
  afterAll(() => lan.down());

  it('is logged and resynchronised; the VRRP process goes on as MASTER and still sees kernel events', async () => {
    const ka = lan.startKa('b', lan.file('ka.conf', instanceConf(lan, 'b', { vrid: 71, priority: 100, vips: [`${VIP}/24`] })));
    const ts = lan.startTs('a', lan.file('ts.conf', instanceConf(lan, 'a', { vrid: 71, priority: 150, vips: [`${VIP}/24`] })), {
      TSKEEPALIVED_TEST_RTNL_RCVBUF: '4096',
    });
    await waitFor(() => lan.hasAddr('a', VIP) && logOf(ts.log).includes('Entering MASTER STATE'), 15_000, 'our MASTER');
    const kaBackup = () => logOf(ka.log).lastIndexOf('Entering BACKUP STATE') > logOf(ka.log).lastIndexOf('Entering MASTER STATE');
    await waitFor(kaBackup, 5_000, 'keepalived BACKUP');
    const vrrpPid = readPid(ts.vrrpPidFile);
    const kaFrom = logOf(ka.log).length;

    const batch = lan.file('burst', Array.from({ length: 1500 }, (_, i) => `address add 2001:db8:2::${(i + 1).toString(16)}/128 dev lo\n`).join(''));
    sh('ip', '-n', lan.ns.a, '-batch', batch);
    await waitFor(() => logOf(ts.log).includes('notifications lost (receive buffer full)'), 5_000, 'the overrun logged');
    await sleep(3_000);

    const log = logOf(ts.log);
    expect(log).not.toMatch(/Error in native callback|Napi::Error|died: Respawning/);
    expect(readPid(ts.vrrpPidFile)).toBe(vrrpPid);
    expect(ts.proc.exitCode).toBeNull();
    expect(lan.hasAddr('a', VIP)).toBe(true);
    expect(logOf(ka.log).slice(kaFrom)).not.toContain('Entering MASTER STATE');

    // The subscription is still there: a VIP deleted behind the MASTER is noticed.
    sh('ip', '-n', lan.ns.a, 'addr', 'del', `${VIP}/24`, 'dev', lan.ifs.a);
    await waitFor(() => logOf(ts.log).includes(`Netlink reports IP ${VIP} removed`), 3_000, 'the deletion noticed after the overrun');
    expect(readPid(ts.vrrpPidFile)).toBe(vrrpPid);
  });
});
