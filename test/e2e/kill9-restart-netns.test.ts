/**
 * kill -9 of the whole daemon (supervisor and VRRP process at once) while MASTER, then a start with the
 * same file, next to a keepalived 2.2.7 BACKUP at priority 100. The MASTER (priority 150, nopreempt) holds
 * VIPs (one on its interface, one on lo, one virtual_ipaddress_excluded), virtual_routes (main table and
 * table 100), a virtual_rule and, with no_accept, the nftables table `ip tskeepalived`. Asserted in the
 * director's namespace, comparing `ip addr`, `ip route show table all`, `ip rule` and `nft list ruleset`:
 *
 * - after the kill everything is still there (nothing released it) and no process of the daemon is left;
 * - the new start, which stays BACKUP (keepalived took over and nopreempt keeps it), removes the configured
 *   VIPs, routes, rule and the nftables table the killed daemon left: the namespace is as before the first
 *   start (`ip monitor address` sees the VIP deleted);
 * - when keepalived stops it becomes MASTER and the namespace is exactly as before the kill: no duplicate
 *   address, route, rule or nft element;
 * - after a SIGTERM the namespace is as before the first start.
 *
 * Needs root, iproute2, nft and keepalived; skips, saying so, otherwise.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crash, descendants } from '../helpers/crash.js';
import { sleep, waitFor } from '../helpers/netns.js';
import { exited, instanceConf, Lan, labMissing, readPid } from '../helpers/lan.js';

const missing = labMissing(['keepalived', 'nft']);
if (missing) console.log(`kill -9 and restart tests skipped: ${missing} (they need root, iproute2, nft and keepalived)`);

const lan = new Lan('tskk9');
const VIP = '192.0.2.100';

function tsConf(): string {
  const i = lan.ifs.a;
  const extra = `  nopreempt\n  no_accept\n  virtual_ipaddress_excluded {\n    203.0.113.10/32\n  }\n  virtual_routes {\n    203.0.113.128/25 via 192.0.2.254 dev ${i}\n    198.51.100.128/25 dev ${i} table 100\n  }\n  virtual_rules {\n    from ${VIP} table 100 priority 100\n  }\n`;
  return lan.file('ts.conf', instanceConf(lan, 'a', { vrid: 63, priority: 150, vips: [`${VIP}/24`, '198.51.100.10/32 dev lo'], extra }));
}

/** What director a's namespace holds, line by line: addresses, routes of every table, rules, nftables. */
function state(): Record<'addr' | 'route' | 'rule' | 'nft', string[]> {
  const run = (...args: string[]) =>
    spawnSync('ip', ['netns', 'exec', lan.ns.a, ...args], { encoding: 'utf8' })
      .stdout.split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .sort();
  return {
    addr: run('ip', '-o', 'addr', 'show'),
    route: run('ip', 'route', 'show', 'table', 'all'),
    rule: run('ip', 'rule', 'show'),
    nft: run('nft', 'list', 'ruleset'),
  };
}

const count = (lines: string[], what: string) => lines.filter((l) => l.includes(what)).length;

describe.skipIf(missing !== undefined)('kill -9 of the daemon while MASTER, then a start with the same file', () => {
  beforeAll(() => lan.up());
  afterAll(() => lan.down());

  it('nothing orphaned after the restart as BACKUP, nothing duplicated once MASTER again, nothing left after a stop', async () => {
    // The kernel's own IPv6 link-local address settles first (duplicate address detection).
    await waitFor(() => !state().addr.join('\n').includes('tentative'), 5000, 'link-local address settled');
    const pristine = state();
    const conf = tsConf();
    const ts = lan.startTs('a', conf);
    await waitFor(() => lan.hasAddr('a', VIP), 15_000, 'tskeepalived MASTER');
    const ka = lan.startKa('b', lan.file('ka.conf', instanceConf(lan, 'b', { vrid: 63, priority: 100, vips: [`${VIP}/24`, '198.51.100.10/32 dev lo'] })));
    await waitFor(() => fs.readFileSync(ka.log, 'utf8').includes('Entering BACKUP STATE'), 15_000, 'keepalived BACKUP');
    await waitFor(() => count(state().nft, VIP) > 0 && count(state().rule, 'lookup 100') > 0, 5000, 'the drop set and the rule');
    await sleep(500);
    const asMaster = state();
    expect(count(asMaster.addr, ` ${VIP}/24`)).toBe(1);
    expect(count(asMaster.addr, ' 198.51.100.10/32')).toBe(1);
    expect(count(asMaster.addr, ' 203.0.113.10/32')).toBe(1);
    expect(count(asMaster.route, '203.0.113.128/25 via 192.0.2.254')).toBe(1);
    expect(count(asMaster.route, '198.51.100.128/25 dev')).toBe(1);
    expect(count(asMaster.rule, `from ${VIP} lookup 100`)).toBe(1);
    expect(asMaster.nft.join('\n')).toMatch(/table ip tskeepalived/);

    const supervisor = readPid(ts.pidFile);
    const tree = [supervisor, ...descendants(supervisor)];
    const killedAt = Date.now();
    crash(supervisor);
    await exited(ts.proc);
    // A zombie (state Z) has released everything and only waits for its reaper (init, once its parent is
    // gone), which on a busy machine may take a moment: it counts as gone.
    const procState = (p: number) => {
      try {
        const st = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
        return st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3);
      } catch {
        return undefined;
      }
    };
    const alive = () =>
      tree
        .filter((p) => procState(p) !== undefined && procState(p) !== 'Z')
        .map((p) => `${p} [${procState(p) ?? 'gone'}] ${fs.existsSync(`/proc/${p}`) ? fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ') : ''}`);
    await waitFor(() => alive().length === 0, 2000, `the daemon's processes gone (${alive().join('; ')})`);
    expect(state()).toEqual(asMaster); // a kill -9 releases nothing
    await waitFor(() => lan.hasAddr('b', VIP), 8000, 'keepalived takes over');
    const takeoverMs = Date.now() - killedAt;
    console.log(`kill -9: keepalived MASTER ${takeoverMs} ms after the kill, both directors holding ${VIP} meanwhile`);

    // The same file again (nopreempt: it stays BACKUP), watched by `ip monitor address`.
    const monFile = path.join(lan.dir, 'monitor.txt');
    const mon = spawn('ip', ['-n', lan.ns.a, 'monitor', 'address'], { stdio: ['ignore', fs.openSync(monFile, 'w'), 'ignore'] });
    await sleep(200);
    const ts2 = lan.startTs('a', conf);
    await waitFor(() => fs.readFileSync(ts2.log, 'utf8').includes('Entering BACKUP STATE'), 15_000, 'tskeepalived BACKUP');
    await sleep(5000); // longer than its Master_Down_Interval: it hears keepalived and stays BACKUP
    const log2 = () => fs.readFileSync(ts2.log, 'utf8');
    expect(log2()).not.toContain('Entering MASTER STATE');
    const restartedAsBackup = state();
    expect(restartedAsBackup).toEqual(pristine); // the killed daemon's VIPs, routes, rule and drop set are gone

    // keepalived stops (priority 0): tskeepalived takes everything again, once.
    ka.proc.kill('SIGTERM');
    await waitFor(() => log2().includes('Entering MASTER STATE'), 5000, 'tskeepalived MASTER again');
    await waitFor(() => count(state().nft, VIP) > 0 && count(state().rule, 'lookup 100') > 0, 5000, 'the drop set and the rule again');
    await sleep(500);
    mon.kill('SIGTERM');
    await exited(mon);
    const events = fs
      .readFileSync(monFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes(` ${VIP}/24`));
    console.log(`restart: address events for ${VIP}: ${events.map((e) => (e.startsWith('Deleted') ? 'deleted' : 'added')).join(', ')}`);
    expect(events.map((e) => e.startsWith('Deleted'))).toEqual([true, false]); // removed at start, added once MASTER
    expect(log2()).not.toMatch(/(adding|removing) (route|rule)|nftables:/); // no warning about what was left
    expect(state()).toEqual(asMaster);

    ts2.proc.kill('SIGTERM');
    await exited(ts2.proc);
    expect(state()).toEqual(pristine);
    expect(fs.existsSync(ts2.pidFile)).toBe(false);
  }, 90_000);
});
