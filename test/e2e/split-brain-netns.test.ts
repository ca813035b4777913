/**
 * Split brain and heal, tskeepalived next to keepalived 2.2.7 on one VRID (advert_int 1, VRRPv2): every IP
 * packet arriving on each director's LAN interface is dropped with nftables (a table in each director's
 * namespace, input hook), so both become MASTER and hold the VIP; then the drop is lifted. Both ways round
 * (tskeepalived higher, then keepalived higher), two heals each:
 *
 * - both sides at once: the lower priority releases the VIP within one advert interval (+ 300 ms of
 *   polling and load), the higher never leaves MASTER, and from 1.5 s after the heal only it advertises.
 *   Whether the winner announces again depends on which advert crosses first: when the loser's does, the
 *   winner answers it (advert + garp_lower_prio_repeat GARPs, asserted); when the winner's does, the loser
 *   steps down silently and nobody announces (as keepalived: printed, not asserted);
 * - the winner's side first, the loser's 1.2 s later: the winner hears the loser's advert, so it must
 *   announce again (GARP from its MAC), and one MASTER remains within one advert interval of the full heal.
 *
 * Needs root, iproute2, nft, keepalived and dumpcap/tshark; skips, saying so, otherwise.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sh, sleep, waitFor } from '../helpers/netns.js';
import { instanceConf, Lan, labMissing, type Daemon, type Side } from '../helpers/lan.js';

const missing = labMissing(['keepalived', 'nft', 'tshark']);
if (missing) console.log(`split brain tests skipped: ${missing} (they need root, iproute2, nft, keepalived, dumpcap and tshark)`);

const lan = new Lan('tsksb');
const VIP = '192.0.2.100';
const ADVERT_MS = 1000;
const TABLE = 'tsksplit';

/** Drops every IP packet arriving on each director's LAN interface. */
function partition(): void {
  for (const s of ['a', 'b'] as const) {
    sh(
      'ip',
      'netns',
      'exec',
      lan.ns[s],
      'nft',
      `add table inet ${TABLE}; add chain inet ${TABLE} in { type filter hook input priority -300; policy accept; }; add rule inet ${TABLE} in iifname ${lan.ifs[s]} drop`,
    );
  }
}

function heal(s: Side): void {
  sh('ip', 'netns', 'exec', lan.ns[s], 'nft', `delete table inet ${TABLE}`);
}

const logOf = (d: Daemon) => fs.readFileSync(d.log, 'utf8');

describe.skipIf(missing !== undefined)('split brain: both MASTER while the LAN drops their traffic, one MASTER after the heal', () => {
  beforeAll(() => lan.up());
  afterEach(async () => {
    for (const s of ['a', 'b'] as const) spawnSync('ip', ['netns', 'exec', lan.ns[s], 'nft', `delete table inet ${TABLE}`], { stdio: 'ignore' });
    await lan.stopAll();
    for (const s of ['a', 'b'] as const) spawnSync('ip', ['-n', lan.ns[s], 'addr', 'del', `${VIP}/24`, 'dev', lan.ifs[s]], { stdio: 'ignore' });
  });
  afterAll(() => lan.down());

  for (const winner of ['tskeepalived', 'keepalived'] as const) {
    it(`${winner} at priority 150 wins the heal against the other at 100`, async () => {
      // tskeepalived always runs in a, keepalived in b.
      const win: Side = winner === 'tskeepalived' ? 'a' : 'b';
      const lose: Side = win === 'a' ? 'b' : 'a';
      const conf = (s: Side) => lan.file(`${winner}-${s}.conf`, instanceConf(lan, s, { vrid: 61, priority: s === win ? 150 : 100, vips: [`${VIP}/24`] }));
      const ts = lan.startTs('a', conf('a'));
      const ka = lan.startKa('b', conf('b'));
      const d = { a: ts, b: ka };
      await waitFor(() => lan.hasAddr(win, VIP), 15_000, `${winner} MASTER`);
      await waitFor(() => logOf(d[lose]).includes('Entering BACKUP STATE'), 15_000, 'the other BACKUP');
      await sleep(1500);
      expect(lan.hasAddr(lose, VIP)).toBe(false);

      for (const order of ['both at once', 'winner first'] as const) {
        partition();
        const splitMs = await waitFor(() => lan.hasAddr(lose, VIP), 8000, 'the lower priority takes the VIP while cut off').catch((e: Error) => {
          throw new Error(`${e.message}\n--- its log:\n${logOf(d[lose]).split('\n').slice(-15).join('\n')}`);
        });
        const cap = lan.capture();
        await sleep(2000);
        expect([lan.hasAddr('a', VIP), lan.hasAddr('b', VIP)]).toEqual([true, true]);
        const winnerLogBefore = logOf(d[win]).length;
        const loserLogBefore = logOf(d[lose]).length;

        heal(win);
        const winOpenAt = Date.now();
        if (order === 'winner first') await sleep(1200);
        heal(lose);
        const healedAt = Date.now();
        const releaseMs = await waitFor(() => !lan.hasAddr(lose, VIP), 5000, 'the lower priority releases the VIP');
        await sleep(3000);
        const frames = (await cap.stop()).filter((f) => f.t * 1000 >= winOpenAt);

        const adverts = (s: Side, fromMs: number) => frames.filter((f) => f.kind === 'vrrp' && f.src === lan.ip[s] && f.t * 1000 >= fromMs);
        const garps = frames.filter((f) => f.kind === 'arp' && f.src === VIP && f.mac === lan.mac(win));
        // The first advert the other side received: the loser's once the winner's side is open, the winner's
        // once the loser's is.
        const firstCrossing = frames.find((f) => f.kind === 'vrrp' && (f.src === lan.ip[lose] || f.t * 1000 >= healedAt));
        const loserFirst = firstCrossing?.kind === 'vrrp' && firstCrossing.src === lan.ip[lose];
        const garpMs = garps.length > 0 ? Math.round((garps[0]!.t - firstCrossing!.t) * 1000) : undefined;
        console.log(
          `split brain, ${winner} wins, heal ${order}: lower priority MASTER ${splitMs} ms after the cut; it released the VIP ${releaseMs} ms after the full heal; first advert across: the ${loserFirst ? 'loser' : 'winner'}'s; winner's GARPs after the heal: ${garps.length}${garpMs !== undefined ? `, the first ${garpMs} ms after that advert` : ''}`,
        );

        expect(releaseMs).toBeLessThanOrEqual(ADVERT_MS + 300);
        expect(lan.hasAddr(win, VIP)).toBe(true);
        expect(lan.hasAddr(lose, VIP)).toBe(false);
        expect(adverts(lose, healedAt + 1500)).toEqual([]);
        expect(adverts(win, healedAt + 1500).length).toBeGreaterThanOrEqual(2);
        if (loserFirst) {
          // The winner answers the loser's advert at once: an advert and a GARP burst.
          expect(adverts(win, firstCrossing!.t * 1000).length).toBeGreaterThan(0);
          expect(garpMs).toBeGreaterThanOrEqual(0);
          expect(garpMs).toBeLessThan(200);
        }
        if (order === 'winner first') expect(loserFirst).toBe(true);
        // The winner never left MASTER; the loser went back to BACKUP.
        expect(logOf(d[win]).slice(winnerLogBefore)).not.toMatch(/Entering (BACKUP|FAULT) STATE/);
        expect(logOf(d[lose]).slice(loserLogBefore)).toMatch(/Entering BACKUP STATE/);
      }
    }, 90_000);
  }
});
