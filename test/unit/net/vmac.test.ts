/** Unit tests, net layer: the VMAC address and the macvlan and ipvlan IFLA_LINKINFO payloads (pure). */
import { describe, expect, it } from 'vitest';
import { ipvlanLinkInfo, macvlanLinkInfo, vmacAddress } from '../../../src/net/vmac.js';

describe('use_vmac building blocks', () => {
  it('RFC 5798 §7.3 virtual MAC per VRID and family', () => {
    expect(vmacAddress(51)).toBe('00:00:5e:00:01:33');
    expect(vmacAddress(1)).toBe('00:00:5e:00:01:01');
    expect(vmacAddress(255, 'inet6')).toBe('00:00:5e:00:02:ff');
  });
  it('IFLA_LINKINFO: kind "macvlan", nested data with IFLA_MACVLAN_MODE private (1)', () => {
    expect(macvlanLinkInfo().toString('hex')).toBe(
      '0c00' +
        '0100' +
        '6d6163766c616e00' + // IFLA_INFO_KIND "macvlan\0"
        '0c00' +
        '0280' +
        '0800' +
        '0100' +
        '01000000', // IFLA_INFO_DATA (nested) { IFLA_MACVLAN_MODE = 1 }
    );
  });
  it('IFLA_LINKINFO: kind "ipvlan", nested data with IFLA_IPVLAN_MODE l2 (0) and IFLA_IPVLAN_FLAGS per type', () => {
    const data = (flags: string) => '1400' + '0280' + '0600' + '0100' + '0000' + '0000' + '0600' + '0200' + flags + '0000';
    const kind = '0b00' + '0100' + '6970766c616e00' + '00'; // IFLA_INFO_KIND "ipvlan\0", padded to 4
    expect(ipvlanLinkInfo().toString('hex')).toBe(kind + data('0000'));
    expect(ipvlanLinkInfo('private').toString('hex')).toBe(kind + data('0100'));
    expect(ipvlanLinkInfo('vepa').toString('hex')).toBe(kind + data('0200'));
  });
});
