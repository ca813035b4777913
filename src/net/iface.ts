/**
 * Net layer, edge: what the running system says about an interface (index, primary addresses),
 * read in the current network namespace.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';

export function ifIndex(name: string): number {
  const v = Number(fs.readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8'));
  if (!Number.isInteger(v) || v <= 0) throw new Error(`interface ${name}: no ifindex`);
  return v;
}

/** The first address of `family` on `name` that is not one of `exclude` (our own VIPs). */
export function primaryAddress(name: string, family: 'IPv4' | 'IPv6', exclude: ReadonlySet<string> = new Set()): string | undefined {
  const list = os.networkInterfaces()[name] ?? [];
  const hit = list.find((a) => a.family === family && !exclude.has(a.address) && (family === 'IPv4' || a.address.startsWith('fe80:')));
  return hit?.address;
}

/**
 * Whether `name` is operationally up (carrier, and up administratively): false when the kernel says down or
 * lower-layer-down; undefined when it cannot be read (no such interface). Node's interface list leaves out
 * the addresses of an interface that is not running, so this says why an address is not seen.
 */
export function linkIsUp(name: string): boolean | undefined {
  try {
    const state = fs.readFileSync(`/sys/class/net/${name}/operstate`, 'utf8').trim();
    return state !== 'down' && state !== 'lowerlayerdown' && state !== 'notpresent';
  } catch {
    return undefined;
  }
}
