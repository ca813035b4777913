/** Unit tests, net layer: virtual_routes / virtual_rules entries -> rtnetlink message fields (pure). */
import { describe, expect, it } from 'vitest';
import type { VirtualRoute, VirtualRule } from '../../../src/config/model/vrrp.js';
import { routeMessage, ruleMessage, RTPROT_KEEPALIVED, tableId } from '../../../src/net/routes.js';

const loc = { file: 'k.conf', line: 1 } as never;
const route = (r: Partial<VirtualRoute>): VirtualRoute => ({
  words: [],
  family: 'inet',
  dst: 'default',
  onlink: false,
  nexthops: [],
  noTrack: false,
  loc,
  ...r,
});
const ifindex = (dev: string) => ({ eth0: 2, eth1: 3 })[dev as 'eth0'] ?? 0;

describe('routeMessage', () => {
  it('a gateway route is global scope, a direct one link scope, with keepalived as protocol', () => {
    const gw = routeMessage(route({ dst: '198.51.100.0/24', via: '192.0.2.254', dev: 'eth0' }), 'eth0', ifindex);
    expect(gw.data).toMatchObject({ family: 2, dstLen: 24, table: 254, scope: 0, type: 1, protocol: RTPROT_KEEPALIVED });
    expect(gw.attrs).toMatchObject({ dst: Buffer.from([198, 51, 100, 0]), gateway: Buffer.from([192, 0, 2, 254]), oif: 2 });
    const direct = routeMessage(route({ dst: '203.0.113.0/25', dev: 'eth1', table: '100', metric: 5 }), 'eth0', ifindex);
    expect(direct.data).toMatchObject({ dstLen: 25, table: 100, scope: 253 });
    expect(direct.attrs).toMatchObject({ oif: 3, priority: 5 });
  });
  it('types, big tables, default destination, IPv6', () => {
    const bh = routeMessage(route({ dst: '203.0.113.128/25', type: 'blackhole' }), undefined, ifindex);
    expect(bh.data).toMatchObject({ type: 6, scope: 0 });
    expect(bh.attrs.oif).toBeUndefined();
    const big = routeMessage(route({ dst: 'default', via: '192.0.2.1', table: '1000' }), undefined, ifindex);
    expect(big.data).toMatchObject({ dstLen: 0, table: 252 });
    expect(big.attrs).toMatchObject({ table: 1000 });
    expect(big.attrs.dst).toBeUndefined();
    const v6 = routeMessage(route({ family: 'inet6', dst: '2001:db8:1::/48', via: '2001:db8::1' }), undefined, ifindex);
    expect(v6.data).toMatchObject({ family: 10, dstLen: 48 });
    expect(() => routeMessage(route({ type: 'warp' }), undefined, ifindex)).toThrow(/route type 'warp'/);
  });
  it('multipath nexthops are encoded as struct rtnexthop + RTA_GATEWAY', () => {
    const m = routeMessage(
      route({
        dst: '198.51.100.0/24',
        nexthops: [
          { via: '192.0.2.1', dev: 'eth0', weight: 2, onlink: false, words: [] },
          { via: '192.0.2.2', dev: 'eth1', onlink: true, words: [] },
        ],
      }),
      undefined,
      ifindex,
    );
    expect((m.attrs.multipath as Buffer).toString('hex')).toBe(
      '1000' +
        '00' +
        '01' +
        '02000000' +
        '0800' +
        '0500' +
        'c0000201' + // len 16, flags 0, hops weight-1, ifindex 2, gateway
        '1000' +
        '04' +
        '00' +
        '03000000' +
        '0800' +
        '0500' +
        'c0000202',
    );
    expect(m.data.scope).toBe(0);
  });
  it('table names', () => {
    expect(tableId(undefined)).toBe(254);
    expect(tableId('local')).toBe(255);
    expect(tableId('7')).toBe(7);
    expect(() => tableId('nosuchtable', [])).toThrow(/unknown routing table/);
  });
});

describe('ruleMessage', () => {
  const rule = (r: Partial<VirtualRule>): VirtualRule => ({
    words: [],
    family: 'inet',
    not: false,
    priority: 100,
    priorityDefaulted: false,
    action: 'table',
    noTrack: false,
    loc,
    ...r,
  });
  it('from/to prefixes, table, priority, fwmark/mask, not, goto', () => {
    const m = ruleMessage(rule({ from: '192.0.2.100', to: '198.51.100.0/24', table: '100', fwmark: '0x10/0xff', not: true }));
    expect(m.data).toMatchObject({ family: 2, srcLen: 32, dstLen: 24, table: 100, action: 1, flags: { invert: true } });
    expect(m.attrs).toMatchObject({ priority: 100, src: Buffer.from([192, 0, 2, 100]), fwmark: 16, fwmask: 255 });
    expect(ruleMessage(rule({ action: 'goto', gotoTarget: 200 })).attrs).toMatchObject({ goto: 200 });
    expect(ruleMessage(rule({ action: 'blackhole' })).data).toMatchObject({ action: 6, table: 0 });
  });
});
