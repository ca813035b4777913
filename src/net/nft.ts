/**
 * Net layer: no_accept (and vrrp_strict) filtering with nftables, as keepalived 2.2.7 builds it: a table
 * per family holding a set `vips` and two chains hooked before the filter priority (input and output)
 * that drop traffic to and from the set; IPv6 lets neighbour discovery through and sends link-local
 * traffic to chains of their own. A non-owner MASTER in no_accept mode puts its VIPs in the set before
 * adding them, and takes them out after removing them; the table is created at first use and deleted at
 * stop (and at start, in case a killed daemon left it). keepalived calls its table `keepalived`; ours is
 * `tskeepalived`, so the two never touch each other's rules.
 *
 * The pure part writes nft scripts; the edge runs `nft -f -` (the nftables package's own tool: the rule
 * syntax it parses is the stable interface, where the netlink messages under it are not).
 */
import { spawn } from 'node:child_process';
import { ipToBytes } from './ip.js';
import { errorText } from '../util/errors.js';

export const NFT_TABLE = 'tskeepalived';

export type NftFamily = 'ip' | 'ip6';

export function familyOf(address: string): NftFamily {
  return ipToBytes(address).length === 16 ? 'ip6' : 'ip';
}

/** The table as keepalived lays it out, with an empty `vips` set. */
export function tableScript(family: NftFamily, table = NFT_TABLE): string {
  if (family === 'ip') {
    return `table ip ${table} {
	set vips {
		type ipv4_addr
	}
	chain out {
		type filter hook output priority filter - 1; policy accept;
		ip saddr @vips drop
	}
	chain in {
		type filter hook input priority filter - 1; policy accept;
		ip daddr @vips drop
	}
}
`;
  }
  return `table ip6 ${table} {
	set vips {
		type ipv6_addr
	}
	set neighbor-discovery {
		type icmpv6_type
		flags constant
		elements = { nd-neighbor-solicit, nd-neighbor-advert }
	}
	chain out {
		type filter hook output priority filter - 1; policy accept;
		icmpv6 type @neighbor-discovery accept
		ip6 saddr fe80::/10 goto out_link_local
		ip6 saddr @vips drop
	}
	chain in {
		type filter hook input priority filter - 1; policy accept;
		icmpv6 type @neighbor-discovery accept
		ip6 daddr fe80::/10 goto in_link_local
		ip6 daddr @vips drop
	}
	chain in_link_local {
	}
	chain out_link_local {
	}
}
`;
}

/** Adds or deletes set elements; an empty list is no command. */
export function elementsScript(op: 'add' | 'delete', family: NftFamily, addresses: readonly string[], table = NFT_TABLE): string {
  if (addresses.length === 0) return '';
  return `${op} element ${family} ${table} vips { ${addresses.join(', ')} }\n`;
}

export interface FirewallLog {
  info(msg: string): void;
  warn(msg: string): void;
}

/** Runs one nft script (one transaction); rejects with nft's message. */
function nft(script: string, bin = 'nft'): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, ['-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(err.trim().split('\n')[0] || `nft exited with ${code}`))));
    p.stdin.end(script);
  });
}

/**
 * The VRRP process's filter. `block(owner, addrs)` / `unblock(owner)`: each owner (an instance's runner)
 * holds its addresses; an address leaves the set when no owner holds it. Changes are serialised.
 */
export class NftFirewall {
  private readonly held = new Map<unknown, string[]>();
  private readonly created = new Set<NftFamily>();
  private queue: Promise<void> = Promise.resolve();
  private broken = false;

  constructor(
    private readonly log: FirewallLog,
    private readonly bin = 'nft',
  ) {}

  /** At start: removes tables a killed daemon may have left. */
  clearLeftovers(): Promise<void> {
    return this.run(async () => {
      for (const f of ['ip', 'ip6'] as const) await nft(`delete table ${f} ${NFT_TABLE}\n`, this.bin).catch(() => undefined);
    });
  }

  block(owner: unknown, addresses: readonly string[]): Promise<void> {
    return this.run(async () => {
      const before = this.counts();
      this.held.set(owner, [...addresses]);
      await this.apply(before);
    });
  }

  unblock(owner: unknown): Promise<void> {
    return this.run(async () => {
      if (!this.held.has(owner)) return;
      const before = this.counts();
      this.held.delete(owner);
      await this.apply(before);
    });
  }

  /** Deletes our tables (stop). */
  close(): Promise<void> {
    return this.run(async () => {
      this.held.clear();
      for (const f of [...this.created])
        await nft(`delete table ${f} ${NFT_TABLE}\n`, this.bin).catch((e: Error) => this.log.warn(`nftables: removing table ${f} ${NFT_TABLE}: ${e.message}`));
      this.created.clear();
    });
  }

  private counts(): Map<string, number> {
    const c = new Map<string, number>();
    for (const list of this.held.values()) for (const a of new Set(list)) c.set(a, (c.get(a) ?? 0) + 1);
    return c;
  }

  private async apply(before: Map<string, number>): Promise<void> {
    const after = this.counts();
    const added = [...after.keys()].filter((a) => !before.has(a));
    const removed = [...before.keys()].filter((a) => !after.has(a));
    let script = '';
    for (const f of ['ip', 'ip6'] as const) {
      const add = added.filter((a) => familyOf(a) === f);
      const del = removed.filter((a) => familyOf(a) === f && this.created.has(f));
      // First use in this process: whatever table of that name exists (left by a killed daemon, or by the
      // one a handover replaced) is replaced in the same transaction, so the set never goes missing.
      if (add.length > 0 && !this.created.has(f)) script += `table ${f} ${NFT_TABLE}\ndelete table ${f} ${NFT_TABLE}\n${tableScript(f)}`;
      script += elementsScript('delete', f, del) + elementsScript('add', f, add);
    }
    if (!script) return;
    try {
      await nft(script, this.bin);
      for (const f of ['ip', 'ip6'] as const) if (added.some((a) => familyOf(a) === f)) this.created.add(f);
      this.broken = false;
    } catch (e) {
      // One line per failure run, not per transition.
      if (!this.broken) this.log.warn(`nftables: no_accept filtering not applied (${errorText(e)}): traffic to the VIPs is not dropped`);
      this.broken = true;
    }
  }

  private run(f: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(f, f);
    return this.queue;
  }
}
