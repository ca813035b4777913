/**
 * Unit tests, VRRP layer: from tracker readings to an instance's priority and FAULT state
 * (tracker-priority.ts, over track.ts effectivePriority), with instances loaded from keepalived.conf texts.
 */
import { describe, expect, it } from 'vitest';
import type { VrrpInstance, VrrpSyncGroup } from '../../../src/config/model/vrrp.js';
import { instanceTracking, trackedItems, tracksOf, withSyncGroups, type BlockReading, type TrackerReadings } from '../../../src/vrrp/tracker-priority.js';
import { load } from '../config/helpers.js';

function parse(text: string): { instances: VrrpInstance[]; groups: VrrpSyncGroup[] } {
  const r = load(text);
  expect(r.diags.filter((d) => d.severity === 'error' || d.severity === 'fatal')).toEqual([]);
  return { instances: r.vrrp.instances, groups: r.vrrp.syncGroups };
}

function inst(extra: string, o: { name?: string; priority?: number; vrid?: number } = {}): string {
  return `vrrp_instance ${o.name ?? 'VI'} {\n  interface eth0\n  state BACKUP\n  virtual_router_id ${o.vrid ?? 51}\n  priority ${o.priority ?? 100}\n${extra}  virtual_ipaddress {\n    192.0.2.10/24\n  }\n}\n`;
}

const script = (name: string, weight: number, reverse = false) =>
  `vrrp_script ${name} {\n  script /bin/true\n  weight ${weight}${reverse ? ' reverse' : ''}\n}\n`;
const block = (kw: string, lines: string[]) => `  ${kw} {\n${lines.map((l) => `    ${l}\n`).join('')}  }\n`;

/** Readings: interfaces down / scripts / processes / files as given; an absent name is untracked. */
function readings(
  r: {
    down?: string[];
    scripts?: Record<string, BlockReading>;
    processes?: Record<string, BlockReading>;
    files?: Record<string, { value: number; weight: number; weightReverse: boolean }>;
  } = {},
): TrackerReadings {
  return {
    interfaceUp: (n) => !r.down?.includes(n),
    script: (n) => r.scripts?.[n],
    process: (n) => r.processes?.[n],
    file: (n) => r.files?.[n],
  };
}

const noSrc = () => true;

/** The one instance of `text`, its tracking with `read`. */
function track(text: string, read: TrackerReadings, hasAddress: (ifname: string, address: string) => boolean = noSrc) {
  const { instances, groups } = parse(text);
  return instanceTracking(instances[0]!, groups, read, hasAddress);
}

const up = (weight: number, weightReverse = false): BlockReading => ({ up: true, weight, weightReverse });
const down = (weight: number, weightReverse = false): BlockReading => ({ up: false, weight, weightReverse });

describe("the instance's own interface", () => {
  it('is tracked with weight 0: down is FAULT; dont_track_primary leaves it out', () => {
    expect(track(inst(''), readings())).toMatchObject({ priority: 100, fault: false });
    expect(track(inst(''), readings({ down: ['eth0'] }))).toMatchObject({ fault: true, faultBy: 'interface eth0' });
    expect(track(inst('  dont_track_primary\n'), readings({ down: ['eth0'] }))).toMatchObject({ priority: 100, fault: false, items: [] });
  });
});

describe('track_interface', () => {
  const text = inst(block('track_interface', ['eth1 weight -20', 'eth2 weight 30', 'eth3', 'eth4 weight 10 reverse']));
  it('negative weights count while down, positive while up, reverse flips the sign, no weight means FAULT', () => {
    // all up: +30 (eth2), -10 (eth4 reversed)
    expect(track(text, readings())).toMatchObject({ priority: 120, fault: false });
    expect(track(text, readings({ down: ['eth1'] }))).toMatchObject({ priority: 100, fault: false });
    expect(track(text, readings({ down: ['eth2', 'eth4'] }))).toMatchObject({ priority: 100, fault: false });
    expect(track(text, readings({ down: ['eth3'] }))).toMatchObject({ priority: 100, fault: true, faultBy: 'interface eth3' });
  });
  it('an interface nothing watches counts as up', () => {
    const r: TrackerReadings = { ...readings(), interfaceUp: () => undefined };
    expect(track(text, r)).toMatchObject({ priority: 120, fault: false });
  });
});

describe('track_script / track_process weights', () => {
  it("a line without weight takes the vrrp_script's weight and reverse; a line with one uses its own", () => {
    // `noreverse` on the line: the parser keeps the block's reverse unless the line says otherwise.
    const text = script('a', -30) + script('b', 20, true) + inst(block('track_script', ['a', 'b weight 15 noreverse']));
    const { instances } = parse(text);
    const items = trackedItems(instances[0]!, instances[0]!, readings({ scripts: { a: down(-30), b: up(20, true) } }));
    expect(items.filter((i) => i.kind === 'script')).toEqual([
      { kind: 'script', name: 'a', up: false, weight: -30, reverse: false },
      { kind: 'script', name: 'b', up: true, weight: 15, reverse: false },
    ]);
    expect(track(text, readings({ scripts: { a: down(-30), b: up(20, true) } }))).toMatchObject({ priority: 85, fault: false });
    // The block's own weight_reverse applies when the line gives no weight.
    const inherited = script('b', 20, true) + inst(block('track_script', ['b']));
    expect(track(inherited, readings({ scripts: { b: up(20, true) } }))).toMatchObject({ priority: 80, fault: false });
  });

  it('a script with weight 0 that fails is FAULT; with reverse, one that succeeds is', () => {
    const text = script('z', 0) + inst(block('track_script', ['z']));
    expect(track(text, readings({ scripts: { z: up(0) } }))).toMatchObject({ fault: false });
    expect(track(text, readings({ scripts: { z: down(0) } }))).toMatchObject({ fault: true, faultBy: 'script z' });
    const rev = script('z', 0) + inst(block('track_script', ['z weight 0 reverse']));
    expect(track(rev, readings({ scripts: { z: up(0) } }))).toMatchObject({ fault: true });
  });

  it('a tracked block nothing runs (no script) is left out', () => {
    const text = script('a', -30) + inst(block('track_script', ['a']));
    expect(track(text, readings())).toMatchObject({ priority: 100, fault: false, items: [{ kind: 'interface', name: 'eth0' }] });
  });

  it('track_process follows the same rules', () => {
    const text = `vrrp_track_process p {\n  process haproxy\n  weight -40\n}\n` + inst(block('track_process', ['p']));
    expect(track(text, readings({ processes: { p: down(-40) } }))).toMatchObject({ priority: 60, fault: false });
    expect(track(text, readings({ processes: { p: up(-40) } }))).toMatchObject({ priority: 100, fault: false });
  });
});

describe('track_file', () => {
  const text = `track_file f {\n  file /run/f\n  weight -10\n}\n` + inst(block('track_file', ['f']));
  it("value x weight is added; below -253 is FAULT; the line's weight overrides the block's", () => {
    expect(track(text, readings({ files: { f: { value: 3, weight: -10, weightReverse: false } } }))).toMatchObject({ priority: 70, fault: false });
    expect(track(text, readings({ files: { f: { value: 30, weight: -10, weightReverse: false } } }))).toMatchObject({ fault: true, faultBy: 'file f' });
    const own = `track_file f {\n  file /run/f\n  weight -10\n}\n` + inst(block('track_file', ['f weight 5']));
    expect(track(own, readings({ files: { f: { value: 3, weight: -10, weightReverse: false } } }))).toMatchObject({ priority: 115, fault: false });
  });
});

describe('bounds', () => {
  it('the priority is clamped to 1..254', () => {
    const text = (p: number) => inst(block('track_interface', ['eth1 weight 200', 'eth2 weight -200']), { priority: p });
    expect(track(text(200), readings()).priority).toBe(254);
    expect(track(text(50), readings({ down: ['eth1', 'eth2'] })).priority).toBe(1);
  });
  it('the address owner (255) is not adjusted', () => {
    const { instances, groups } = parse(inst(block('track_interface', ['eth1']), { priority: 255 }).replace('state BACKUP', 'state MASTER'));
    const owner = { ...instances[0]!, trackInterfaces: [{ name: 'eth1', weight: -50, reverse: false, loc: instances[0]!.loc }] };
    expect(instanceTracking(owner, groups, readings({ down: ['eth1'] }), noSrc)).toMatchObject({ priority: 255, fault: false });
  });
});

describe('FAULT beyond the trackers', () => {
  it('unicast_fault_no_peer without peers', () => {
    expect(track(inst('  unicast_src_ip 192.0.2.1\n  unicast_fault_no_peer\n'), readings())).toMatchObject({ fault: true, faultBy: 'unicast peers' });
  });
  it('a configured source address missing from its interface (asked on the interface, or the ipvlan holding it)', () => {
    const asked: string[] = [];
    const has = (present: boolean) => (ifname: string, a: string) => (asked.push(`${a}@${ifname}`), present);
    const text = inst('  mcast_src_ip 192.0.2.1\n');
    expect(track(text, readings(), has(true))).toMatchObject({ fault: false });
    expect(track(text, readings(), has(false))).toMatchObject({ fault: true, faultBy: 'source address 192.0.2.1 (not configured on eth0)' });
    expect(asked).toEqual(['192.0.2.1@eth0', '192.0.2.1@eth0']);
    expect(track(inst(''), readings(), has(false))).toMatchObject({ fault: false }); // no source configured: not asked
  });
  it('an IPv4 use_ipvlan without an address of its own', () => {
    expect(track(inst('  use_ipvlan\n'), readings())).toMatchObject({ fault: true, faultBy: `the ipvlan's address (use_ipvlan gives none)` });
    expect(track(inst('  use_ipvlan ipv1 192.0.2.77/24\n'), readings())).toMatchObject({ fault: false });
  });
});

describe('vrrp_sync_group', () => {
  const group = (extra: string) => `vrrp_sync_group G {\n  group {\n    A\n    B\n  }\n${extra}}\n`;
  const two = (extra: string) => script('s', -30) + group(extra) + inst('', { name: 'A', vrid: 51 }) + inst('', { name: 'B', vrid: 52 });

  it("a group's tracked objects apply to every member; their weights count only with sync_group_tracking_weight", () => {
    const failing = readings({ scripts: { s: down(-30) } });
    const plain = parse(two(block('track_script', ['s'])));
    expect(tracksOf(plain.instances[1]!, plain.groups).trackScripts.map((t) => [t.name, t.weight])).toEqual([['s', 0]]);
    expect(instanceTracking(plain.instances[1]!, plain.groups, failing, noSrc)).toMatchObject({ fault: true, faultBy: 'script s' });
    const weighted = parse(two(block('track_script', ['s']) + '  sync_group_tracking_weight\n'));
    expect(instanceTracking(weighted.instances[1]!, weighted.groups, failing, noSrc)).toMatchObject({ priority: 70, fault: false });
  });

  it('a member in FAULT puts the whole group in FAULT, priorities are kept', () => {
    const own = new Map([
      ['A', { priority: 100, fault: true }],
      ['B', { priority: 90, fault: false }],
      ['C', { priority: 80, fault: false }],
    ]);
    const peers: Record<string, string[]> = { A: ['B'], B: ['A'], C: [] };
    const out = withSyncGroups(own, (k) => peers[k]!);
    expect(Object.fromEntries(out)).toEqual({
      A: { priority: 100, fault: true },
      B: { priority: 90, fault: true, faultyPeer: 'A' },
      C: { priority: 80, fault: false },
    });
  });
});
