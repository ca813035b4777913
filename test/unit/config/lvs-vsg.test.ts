/**
 * virtual_server_group (entries, ranges and masks expanded, family rules, linking to
 * `virtual_server group NAME`) and the SSL block.
 */
import { describe, expect, it } from 'vitest';
import { expandVsgEntry, vsgEntrySize, type SslConfig, type VirtualServerGroup } from '../../../src/config/model/lvs.js';
import { at, load, one, vs, rs, STD } from './helpers.js';

const vsg = (entries: string[], name = 'G') => `virtual_server_group ${name} {\n${entries.map((e) => '  ' + e).join('\n')}\n}\n`;
/** A group with entries on lines 2.., and a virtual server using it right after. */
const grouped = (entries: string[], body = STD, rsHead = '203.0.113.11 80') => vsg(entries) + vs(body + rs('', rsHead), 'group G');

describe('virtual_server_group', () => {
  it('addresses, short and full ranges, masks and fwmarks resolve to entries', () => {
    const r = load(grouped(['192.0.2.1 80', '192.0.2.10-20 80', '192.0.2.250-192.0.3.5 443', '198.51.100.0/30 80', 'fwmark 3', 'fwmark 4 inet']));
    expect(r.diags).toEqual([]);
    expect(r.lvs.groups).toEqual([
      {
        loc: at(1),
        name: 'G',
        entries: [
          { kind: 'range', loc: at(2), family: 'inet', address: '192.0.2.1', rangeEnd: '192.0.2.1', port: 80 },
          { kind: 'range', loc: at(3), family: 'inet', address: '192.0.2.10', rangeEnd: '192.0.2.20', port: 80 },
          { kind: 'range', loc: at(4), family: 'inet', address: '192.0.2.250', rangeEnd: '192.0.3.5', port: 443 },
          { kind: 'range', loc: at(5), family: 'inet', address: '198.51.100.0', rangeEnd: '198.51.100.3', port: 80 },
          { kind: 'fwmark', loc: at(6), fwmark: 3 },
          { kind: 'fwmark', loc: at(7), fwmark: 4, family: 'inet' },
        ],
      } satisfies VirtualServerGroup,
    ]);
    const [, short, cross, mask] = r.lvs.groups[0]!.entries;
    expect(expandVsgEntry(short!)).toEqual(Array.from({ length: 11 }, (_, i) => `192.0.2.${10 + i}`));
    expect(expandVsgEntry(cross!)).toEqual([
      '192.0.2.250',
      '192.0.2.251',
      '192.0.2.252',
      '192.0.2.253',
      '192.0.2.254',
      '192.0.2.255',
      '192.0.3.0',
      '192.0.3.1',
      '192.0.3.2',
      '192.0.3.3',
      '192.0.3.4',
      '192.0.3.5',
    ]);
    expect(expandVsgEntry(mask!)).toEqual(['198.51.100.0', '198.51.100.1', '198.51.100.2', '198.51.100.3']);
    expect(vsgEntrySize({ kind: 'range', loc: at(1), family: 'inet', address: '10.0.0.0', rangeEnd: '10.255.255.255', port: 0 })).toBe(16777216n);
    expect(expandVsgEntry({ kind: 'range', loc: at(1), family: 'inet', address: '10.0.0.0', rangeEnd: '10.255.255.255', port: 0 }, 3)).toHaveLength(3);
    const v = r.lvs.virtualServers[0]!;
    expect(v).toMatchObject({ kind: 'group', group: 'G', family: 'inet', protocol: 'TCP' });
  });

  it('IPv6 ranges (hex last group) and masks', () => {
    const r = load(grouped(['2001:db8::10-1f 80', '2001:db8::100/126 80'], STD, '2001:db8::99 80'));
    expect(r.diags).toEqual([]);
    const [a, b] = r.lvs.groups[0]!.entries;
    expect(a).toMatchObject({ address: '2001:db8::10', rangeEnd: '2001:db8::1f' });
    expect(expandVsgEntry(a!)).toHaveLength(16);
    expect(expandVsgEntry(b!)).toEqual(['2001:db8::100', '2001:db8::101', '2001:db8::102', '2001:db8::103']);
    expect(r.lvs.virtualServers[0]!.family).toBe('inet6');
  });

  it('several virtual servers may use one group; keepalived names them [G]:0, [G]:1, ...', () => {
    const r = load(vsg(['192.0.2.1 80']) + vs(STD + rs(), 'group G') + vs('  lb_algo rr\n  lb_kind NAT\n' + rs(), 'group G'));
    expect(r.lvs.virtualServers).toHaveLength(2);
    expect(one(r, /^virtual server \[G\]:1: no protocol set - defaulting to UDP/)).toEqual({ severity: 'warning', line: 12 });
  });

  it('the group may be defined after the virtual server that uses it', () => {
    const r = load(vs(STD + rs(), 'group G') + vsg(['192.0.2.1 80']));
    expect(r.diags).toEqual([]);
    expect(r.lvs.virtualServers).toHaveLength(1);
  });

  it('bad entries are skipped; a group left empty is removed, and its users with it', () => {
    const cases: Array<[string, RegExp]> = [
      ['192.0.2.5-5 80', /^address range end is not greater than address range start - 192\.0\.2\.5-5 - skipping$/],
      ['192.0.2.5-3 80', /^address range end is not greater than address range start/],
      ['192.0.2.9-192.0.2.1 80', /^address range end is less than address range start - 192\.0\.2\.9-192\.0\.2\.1 - skipping$/],
      ['192.0.2.5-300 80', /^virtual server group range '192\.0\.2\.5-300' end '300' too large/],
      ['192.0.2.5-1x 80', /^virtual server group range '192\.0\.2\.5-1x' has extra characters/],
      ['192.0.2.1/28 80', /^address mask bits not empty - 192\.0\.2\.1\/28 - skipping/],
      ['192.0.2.0/0 80', /^invalid netmask - 192\.0\.2\.0\/0 - skipping/],
      ['192.0.2.0/33 80', /^invalid netmask - 192\.0\.2\.0\/33 - skipping/],
      ['192.0.2.300 80', /^invalid virtual server group IP address 192\.0\.2\.300 80 - skipping/],
      ['192.0.2.1 70000', /^invalid virtual server group IP address 192\.0\.2\.1 70000 - skipping: number '70000' outside range/],
      ['fwmark x', /^\(G\): fwmark 'x' must be in \[0, 4294967295\] - ignoring/],
      ['fwmark 3 ipx', /^\(G\): fwmark '3' family ipx unknown - ignoring/],
    ];
    for (const [entry, re] of cases) {
      const r = load(grouped([entry]));
      expect(one(r, re), entry).toEqual({ severity: 'error', line: 2 });
      expect(one(r, /^virtual server group G has no entries - removing$/), entry).toEqual({ severity: 'error', line: 1 });
      expect(r.lvs.groups).toEqual([]);
      expect(r.lvs.virtualServers).toEqual([]);
    }
  });

  it('IPv4, IPv6 and a fwmark without family cannot be mixed', () => {
    const r = load(grouped(['192.0.2.1 80', '2001:db8::1 80', 'fwmark 3']));
    expect(one(r, /^virtual server group G cannot have IPv4, IPv6 and fwmark without family - removing/)).toEqual({ severity: 'error', line: 1 });
    expect(r.lvs.groups).toEqual([]);
  });

  it('a group of the other family than the real servers drops the virtual server (keepalived only logs it)', () => {
    const r = load(grouped(['2001:db8::1 80']));
    expect(r.lvs.virtualServers).toEqual([]);
    expect(one(r, /^G: address family doesn't match virtual server \[G\]:0 - ignoring the virtual server$/)).toEqual({ severity: 'info', line: 4 });
    expect(r.exitCode).toBe(0);
  });

  it('entries without port need persistence; fwmark-only groups ignore the protocol', () => {
    const p = load(grouped(['192.0.2.1']));
    expect(p.lvs.virtualServers[0]!.persistenceTimeoutS).toBe(360);
    expect(one(p, /^virtual server \[G\]:0: zero port only valid for persistent services - setting persistence_timeout 360$/)).toEqual({
      severity: 'warning',
      line: 4,
    });
    const f = load(grouped(['fwmark 3']));
    expect(f.lvs.virtualServers[0]!.protocol).toBeUndefined();
    expect(one(f, /^virtual server \[G\]:0: protocol specified for fwmark - protocol will be ignored$/)).toEqual({ severity: 'warning', line: 4 });
  });

  it("DR: real server ports must match each entry's port (warning only: the port cannot be reset per entry)", () => {
    const r = load(grouped(['192.0.2.1 80', '192.0.2.2 81'], '  lb_algo rr\n  lb_kind DR\n  protocol TCP\n'));
    expect(one(r, /^virtual server \[G\]:0:\[192\.0\.2\.2,81\] and real server \[203\.0\.113\.11\]:tcp:80 ports don't match/)).toEqual({
      severity: 'warning',
      line: 9,
    });
    expect(r.lvs.virtualServers[0]!.realServers[0]!.port).toBe(80);
  });
});

describe('SSL', () => {
  it('password, ca, certificate and key', () => {
    const r = load('SSL {\n  password secret\n  ca /etc/ssl/ca.pem\n  certificate /etc/ssl/c.pem\n  key /etc/ssl/k.pem\n}\n');
    expect(r.diags).toEqual([]);
    expect(r.lvs.ssl).toEqual({
      loc: at(1),
      password: 'secret',
      ca: '/etc/ssl/ca.pem',
      certificate: '/etc/ssl/c.pem',
      key: '/etc/ssl/k.pem',
    } satisfies SslConfig);
  });
  it('an empty block is an automatic context; no block leaves it unset', () => {
    expect(load('SSL {\n}\n').lvs.ssl).toEqual({ loc: at(1) });
    expect(load('').lvs.ssl).toBeUndefined();
  });
  it('a second SSL block or value replaces the first, with an error; a missing value is an error', () => {
    const r = load('SSL {\n  password x\n  password y\n}\nSSL {\n  ca\n}\n');
    expect(one(r, /^SSL password already specified - replacing$/)).toEqual({ severity: 'error', line: 3 });
    expect(one(r, /^SSL context already specified - replacing$/)).toEqual({ severity: 'error', line: 5 });
    expect(one(r, /^SSL cafile missing/)).toEqual({ severity: 'error', line: 6 });
    expect(r.lvs.ssl).toEqual({ loc: at(5) });
  });
});
