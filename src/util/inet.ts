/**
 * Util, pure: the textual IPv4 / IPv6 address grammar of node:net's isIPv4() / isIPv6(), written out here so
 * that the configuration check and the address helpers do not load node:net (and the socket stack it
 * pulls in) just to test a string: `tskeepalived -t` starts faster. test/unit/util/inet.test.ts holds the
 * two to the same answers.
 */

/** One decimal octet, no leading zero. */
const V4_SEG = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const V4_STR = `(?:${V4_SEG}\\.){3}${V4_SEG}`;
const IPV4_RE = new RegExp(`^${V4_STR}$`);

/** One hextet: 1 to 4 hex digits. */
const V6_SEG = '(?:[0-9a-fA-F]{1,4})';
/** 8 hextets, or fewer with one `::`; the last two may be a dotted IPv4 address; an optional `%zone`. */
const IPV6_RE = new RegExp(
  '^(?:' +
    `(?:${V6_SEG}:){7}(?:${V6_SEG}|:)|` +
    `(?:${V6_SEG}:){6}(?:${V4_STR}|:${V6_SEG}|:)|` +
    `(?:${V6_SEG}:){5}(?::${V4_STR}|(?::${V6_SEG}){1,2}|:)|` +
    `(?:${V6_SEG}:){4}(?:(?::${V6_SEG}){0,1}:${V4_STR}|(?::${V6_SEG}){1,3}|:)|` +
    `(?:${V6_SEG}:){3}(?:(?::${V6_SEG}){0,2}:${V4_STR}|(?::${V6_SEG}){1,4}|:)|` +
    `(?:${V6_SEG}:){2}(?:(?::${V6_SEG}){0,3}:${V4_STR}|(?::${V6_SEG}){1,5}|:)|` +
    `(?:${V6_SEG}:){1}(?:(?::${V6_SEG}){0,4}:${V4_STR}|(?::${V6_SEG}){1,6}|:)|` +
    `(?::(?:(?::${V6_SEG}){0,5}:${V4_STR}|(?::${V6_SEG}){1,7}|:))` +
    ')(?:%[0-9a-zA-Z-.:]{1,})?$',
);

/** node:net isIPv4(): dotted quad, each octet 0-255 without leading zeros. */
export function isIPv4(s: string): boolean {
  return IPV4_RE.test(s);
}

/** node:net isIPv6(): RFC 4291 §2.2 text forms, with an optional `%zone` suffix. */
export function isIPv6(s: string): boolean {
  return IPV6_RE.test(s);
}
