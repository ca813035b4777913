import * as net from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIPv4, isIPv6 } from '../../../src/util/inet.js';

// src/util/inet.ts stands in for node:net's isIPv4/isIPv6 on the start-up path: same answers, always.
const samples = [
  '',
  '0.0.0.0',
  '255.255.255.255',
  '256.1.1.1',
  '01.2.3.4',
  '1.2.3',
  '1.2.3.4.5',
  '1.2.3.4 ',
  ' 1.2.3.4',
  '1.2.3.-4',
  '::',
  '::1',
  '1::',
  '1::2:3:4:5:6:7',
  '1:2:3:4:5:6:7:8',
  '1:2:3:4:5:6:7:8:9',
  '1:2:3:4:5:6:7::',
  '::ffff:192.0.2.1',
  '::ffff:192.0.2.256',
  '1:2:3:4:5:6:192.0.2.1',
  '1:2:3:4:5:6:7:192.0.2.1',
  'fe80::1%eth0',
  'fe80::1%',
  '12345::',
  'g::1',
  ':::',
  '1:::2',
  '::1::2',
  '[::1]',
  '2001:db8::/32',
  'FE80::AbCd',
  '0000:0000::0000',
];

describe('inet: node:net address grammar without node:net', () => {
  it.each(samples)('%j', (s) => {
    expect(isIPv4(s)).toBe(net.isIPv4(s));
    expect(isIPv6(s)).toBe(net.isIPv6(s));
  });

  it('agrees on generated address-like strings', () => {
    const chars = fc.constantFrom(...'0123456789abcdefABCDEF:.%'.split(''), 'ff', '::', '255', '1.2.3.4');
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 24 }), (parts) => {
        const s = parts.join('');
        return isIPv4(s) === net.isIPv4(s) && isIPv6(s) === net.isIPv6(s);
      }),
      { numRuns: 5000 },
    );
  });
});
