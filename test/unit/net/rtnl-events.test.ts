/**
 * rtnetlink notifications -> events, and the keys that match a kernel route or rule with a configured one.
 * The message shapes are those the `netlink` package's parser gives (read off a live kernel).
 */
import { describe, expect, it } from 'vitest';
import { linkUp, routeKey, ruleKey, RTM, toEvent } from '../../../src/net/rtnl-events.js';
import { OwnRemovals, addressKey } from '../../../src/net/rtnl.js';
import { configuredRouteKey, configuredRuleKey } from '../../../src/net/routes.js';
import type { VirtualRoute, VirtualRule } from '../../../src/config/model/vrrp.js';

const hex = (h: string) => Buffer.from(h, 'hex');
const loc = { file: 'k.conf', line: 1 };

describe('links', () => {
  it('up needs IFF_UP and an operational state of UP or UNKNOWN (as sysfs operstate reads)', () => {
    expect(linkUp({ flags: { up: true } }, { operstate: 6 })).toBe(true);
    expect(linkUp({ flags: { up: true } }, { operstate: 0 })).toBe(true); // lo, dummy
    expect(linkUp({ flags: { up: true } }, { operstate: 2 })).toBe(false); // carrier lost
    expect(linkUp({ flags: {} }, { operstate: 6 })).toBe(false); // admin down
    expect(linkUp({ flags: { up: true } }, { operstate: 5 })).toBe(false); // dormant
  });

  it('RTM_NEWLINK / RTM_DELLINK give name, index and state; a deleted link is down', () => {
    expect(toEvent(RTM.NEWLINK, { kind: 'link', data: { index: 3, flags: { up: true, running: true } }, attrs: { ifname: 'eth1', operstate: 6 } })).toEqual({
      kind: 'link',
      op: 'new',
      index: 3,
      name: 'eth1',
      up: true,
    });
    expect(toEvent(RTM.DELLINK, { kind: 'link', data: { index: 3, flags: { up: true } }, attrs: { ifname: 'eth1', operstate: 6 } })).toEqual({
      kind: 'link',
      op: 'del',
      index: 3,
      name: 'eth1',
      up: false,
    });
    expect(toEvent(RTM.NEWLINK, { kind: 'link', data: { index: 3 }, attrs: {} })).toBeUndefined();
  });
});

describe('addresses', () => {
  it('IPv4 and IPv6 deletions with the interface index and prefix', () => {
    expect(toEvent(RTM.DELADDR, { data: { family: 2, prefixlen: 32, index: 4 }, attrs: { address: hex('c0000264'), local: hex('c0000264') } })).toEqual({
      kind: 'addr',
      op: 'del',
      index: 4,
      family: 4,
      address: '192.0.2.100',
      prefixLen: 32,
    });
    const v6 = toEvent(RTM.NEWADDR, { data: { family: 10, prefixlen: 64, index: 2 }, attrs: { address: hex('20010db8000000000000000000000064') } });
    expect(v6).toMatchObject({ kind: 'addr', op: 'new', family: 6, prefixLen: 64 });
  });

  it('point-to-point: IFA_LOCAL is ours, IFA_ADDRESS the peer', () => {
    expect(toEvent(RTM.DELADDR, { data: { family: 2, prefixlen: 32, index: 4 }, attrs: { address: hex('c0000202'), local: hex('c0000201') } })).toMatchObject({
      address: '192.0.2.1',
    });
  });

  it('the key of a notification equals the key of the removal we made (any IPv6 spelling)', () => {
    expect(addressKey('2001:db8::64', 128, 2)).toBe(addressKey('2001:0db8:0:0::0064', 128, 2));
    expect(addressKey('192.0.2.100', 32, 2)).not.toBe(addressKey('192.0.2.100', 32, 3));
  });
});

const route = (o: Partial<VirtualRoute>): VirtualRoute => ({
  words: [],
  family: 'inet',
  dst: '198.51.100.0/24',
  onlink: false,
  nexthops: [],
  noTrack: false,
  loc,
  ...o,
});
const rule = (o: Partial<VirtualRule>): VirtualRule => ({
  words: [],
  family: 'inet',
  not: false,
  priority: 300,
  priorityDefaulted: false,
  action: 'table',
  table: '100',
  noTrack: false,
  loc,
  ...o,
});

describe('routes and rules: configured entries match the kernel notifications', () => {
  it('a route in table 100 with a metric (as RTM_DELROUTE carries it)', () => {
    const kernel = toEvent(RTM.DELROUTE, {
      data: { family: 2, dstLen: 24, tos: 0, table: 100 },
      attrs: { table: 100, dst: hex('c6336400'), priority: 5, gateway: hex('c0000201'), oif: 3 },
    });
    expect(kernel).toEqual({ kind: 'route', op: 'del', key: configuredRouteKey(route({ via: '192.0.2.1', table: '100', metric: 5, dev: 'eth0' })) });
  });

  it('tables above 255 travel in RTA_TABLE; the header says 252', () => {
    const k = routeKey({ family: 2, dstLen: 24, tos: 0, table: 252 }, { table: 1000, dst: hex('c6336400') });
    expect(k).toBe(configuredRouteKey(route({ table: '1000' })));
  });

  it('IPv6 routes without a metric get 1024 from the kernel', () => {
    const k = routeKey({ family: 10, dstLen: 64, tos: 0, table: 254 }, { table: 254, dst: hex('20010db8000000010000000000000000'), priority: 1024 });
    expect(k).toBe(configuredRouteKey(route({ family: 'inet6', dst: '2001:db8:0:1::/64' })));
  });

  it('another metric, destination or table is another route', () => {
    const base = configuredRouteKey(route({ table: '100' }));
    expect(configuredRouteKey(route({ table: '100', metric: 7 }))).not.toBe(base);
    expect(configuredRouteKey(route({ table: '101' }))).not.toBe(base);
    expect(configuredRouteKey(route({ table: '100', dst: '198.51.100.0/25' }))).not.toBe(base);
  });

  it('a rule (as RTM_DELRULE carries it: the table in both places)', () => {
    const kernel = toEvent(RTM.DELRULE, {
      data: { family: 2, dstLen: 0, srcLen: 32, tos: 0, table: 100, action: 'toTbl' },
      attrs: { table: 100, priority: 300, src: hex('c0000209'), protocol: 18 },
    });
    expect(kernel).toEqual({ kind: 'rule', op: 'del', key: configuredRuleKey(rule({ from: '192.0.2.9/32' })) });
    expect(ruleKey({ family: 2, srcLen: 32, table: 100 }, { priority: 301, src: hex('c0000209') })).not.toBe(configuredRuleKey(rule({ from: '192.0.2.9/32' })));
  });
});

describe('our own removals', () => {
  it('are recognised once, and not after they were unmarked', () => {
    const own = new OwnRemovals();
    own.mark('a');
    own.mark('b');
    own.unmark('b');
    expect(own.consume('a')).toBe(true);
    expect(own.consume('a')).toBe(false);
    expect(own.consume('b')).toBe(false);
  });
});
