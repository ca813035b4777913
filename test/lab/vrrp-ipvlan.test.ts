/**
 * use_ipvlan, in the VM lab (the development host's kernel has no ipvlan driver; the lab's Debian kernel
 * has it as a module). Two namespaces joined by a veth pair: `ipa` (va, 192.0.2.1) runs the instance with
 * `use_ipvlan`, `ipb` (vb, 192.0.2.2) the peer.
 *
 * 1. Same interface as keepalived 2.2.7 makes for the same file: an ipvlan in L2 mode (bridge, or the type
 *    given) named as configured (default vrrp.VRID), its address (/32 when no length is given), the VIP on
 *    the base interface; the ipvlan deleted at stop. Compared field by field with what keepalived leaves.
 *    (The kernel keeps one mode and type per parent: the last ipvlan made sets them for all.)
 * 2. On the wire, next to keepalived 2.2.7 (no ipvlan) as the other router: tskeepalived MASTER advertises
 *    from the ipvlan's address with the base interface's MAC, keepalived stays BACKUP; a stop hands the
 *    VIP to keepalived, a new start takes it back (preemption), and the ipvlan is made again.
 *
 * Runs inside the VM lab only (npm run test:lab); skips elsewhere, saying why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { IN_VM, killNetns, ns, sh, startDaemon, waitFor, WORK, type Daemon } from './lab.js';

const VIP = '192.0.2.100';

function modules(): string | undefined {
  if (!IN_VM) return 'runs in the VM lab only (npm run test:lab)';
  try {
    sh('modprobe -a veth ipvlan');
    return undefined;
  } catch (e) {
    return `no veth/ipvlan modules: ${(e as Error).message}`;
  }
}
const why = modules();
if (why) console.log(`use_ipvlan lab test skipped: ${why}`);

function conf(ipvlan: string, priority: number, iface = 'va'): string {
  return `global_defs {
  router_id r${priority}
}
vrrp_instance VI_1 {
  state BACKUP
  interface ${iface}
  virtual_router_id 51
  priority ${priority}
  advert_int 1
${ipvlan ? `  use_ipvlan ${ipvlan}\n` : ''}  virtual_ipaddress {
    ${VIP}/24
  }
}
`;
}

/** What an implementation made in `ipa`: each non-veth link's kind line, and every address but link-locals. */
function made(): { links: string[]; addrs: string[] } {
  const links = ns('ipa', 'ip -d -o link show')
    .split('\n')
    .filter((l) => /ipvlan/.test(l))
    .map((l) => {
      const name = /^\d+: ([^:@]+)/.exec(l)![1];
      const kind = /ipvlan\s+mode (\S+) (\S+)/.exec(l);
      return `${name} ipvlan mode ${kind?.[1]} ${kind?.[2]}`;
    });
  const addrs = ns('ipa', 'ip -4 -o addr show')
    .split('\n')
    .filter((l) => l && !/ lo /.test(l))
    .map((l) =>
      l
        .replace(/^\d+:\s+/, '')
        .replace(/\\.*$/, '')
        .replace(/\s+/g, ' ')
        .trim(),
    )
    .sort();
  return { links, addrs };
}

describe.skipIf(why !== undefined)('use_ipvlan (VM lab) next to keepalived 2.2.7', () => {
  const running: Daemon[] = [];
  const start = (kind: 'tskeepalived' | 'keepalived', n: string, c: string) => {
    const d = startDaemon(kind, n, c);
    running.push(d);
    return d;
  };
  beforeAll(() => {
    fs.mkdirSync(WORK, { recursive: true });
    for (const n of ['ipa', 'ipb']) sh(`ip netns del ${n} 2>/dev/null || true; ip netns add ${n}`);
    sh('ip link add va netns ipa type veth peer name vb netns ipb');
    ns('ipa', 'ip link set lo up && ip addr add 192.0.2.1/24 dev va && ip link set va up');
    ns('ipb', 'ip link set lo up && ip addr add 192.0.2.2/24 dev vb && ip link set vb up');
  });
  afterAll(async () => {
    for (const d of running) if (d.proc.exitCode === null) await d.stop('SIGKILL');
    for (const n of ['ipa', 'ipb']) {
      killNetns(n);
      sh(`ip netns del ${n}`);
    }
  });

  it('makes the interface keepalived makes, for a named, a default and a private ipvlan, and deletes it at stop', async () => {
    for (const spec of ['ipv51 192.0.2.50/24', '192.0.2.50', 'ipv51 192.0.2.50/24 private']) {
      const seen: Record<string, { links: string[]; addrs: string[]; after: string[] }> = {};
      for (const kind of ['keepalived', 'tskeepalived'] as const) {
        const d = start(kind, 'ipa', conf(spec, 150));
        await waitFor(() => ns('ipa', 'ip -4 -o addr show').includes(`${VIP}/24`), 60_000, `${kind} MASTER with use_ipvlan ${spec}`);
        await new Promise((r) => setTimeout(r, 1000));
        const m = made();
        expect(await d.stop(), d.output()).toBe(0);
        seen[kind] = { ...m, after: made().links };
        ns('ipa', `ip link del ${spec.startsWith('ipv51') ? 'ipv51' : 'vrrp.51'} 2>/dev/null || true; ip addr del ${VIP}/24 dev va 2>/dev/null || true`);
      }
      const name = spec.startsWith('ipv51') ? 'ipv51' : 'vrrp.51';
      expect(seen.keepalived!.links).toEqual([`${name} ipvlan mode l2 ${spec.endsWith('private') ? 'private' : 'bridge'}`]);
      expect(seen.tskeepalived).toEqual(seen.keepalived);
      // The VIP on the base interface, the ipvlan's address on the ipvlan, /32 unless a length is given.
      expect(seen.tskeepalived!.addrs).toContain(`va inet ${VIP}/24 scope global secondary va`);
      expect(seen.tskeepalived!.addrs.some((a) => a.startsWith(`${name} inet 192.0.2.50/${spec.includes('/24') ? 24 : 32} `))).toBe(true);
      expect(seen.tskeepalived!.after).toEqual([]);
    }
  });

  it('advertises from the ipvlan address; a keepalived peer stays BACKUP, takes over at the stop, yields at the restart', async () => {
    const ka = start('keepalived', 'ipb', conf('', 100, 'vb'));
    await waitFor(() => ns('ipb', 'ip -4 -o addr show dev vb').includes(`${VIP}/24`), 60_000, 'keepalived MASTER alone');
    const ts = start('tskeepalived', 'ipa', conf('192.0.2.50', 150));
    await waitFor(() => ns('ipa', 'ip -4 -o addr show dev va').includes(`${VIP}/24`), 60_000, 'tskeepalived preempts');
    await waitFor(() => !ns('ipb', 'ip -4 -o addr show dev vb').includes(`${VIP}/24`), 20_000, 'keepalived releases the VIP');
    // The adverts on the wire: source the ipvlan address, source MAC the base interface's.
    const mac = ns('ipa', 'cat /sys/class/net/va/address').trim();
    const cap = ns('ipb', 'timeout 20 tshark -ni vb -c 3 -f "ip proto 112" -T fields -e eth.src -e ip.src -e vrrp.prio 2>/dev/null || true')
      .split('\n')
      .filter(Boolean);
    expect(cap.length).toBe(3);
    for (const l of cap) expect(l.split('\t')).toEqual([mac, '192.0.2.50', '150']);
    expect(ka.output()).toMatch(/\(VI_1\) Master received advert from 192\.0\.2\.50 with higher priority 150|\(VI_1\) Entering BACKUP STATE/);

    // A stop: priority 0 from the ipvlan, keepalived takes over; the ipvlan goes away.
    expect(await ts.stop()).toBe(0);
    await waitFor(() => ns('ipb', 'ip -4 -o addr show dev vb').includes(`${VIP}/24`), 20_000, 'keepalived takes over at the stop');
    expect(made().links).toEqual([]);
    // A new start preempts again on a new ipvlan.
    start('tskeepalived', 'ipa', conf('192.0.2.50', 150));
    await waitFor(() => ns('ipa', 'ip -4 -o addr show dev va').includes(`${VIP}/24`), 60_000, 'tskeepalived preempts again');
    expect(made().links).toEqual(['vrrp.51 ipvlan mode l2 bridge']);
  });
});
