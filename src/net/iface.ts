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
