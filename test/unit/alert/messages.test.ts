/**
 * SMTP alert messages: byte for byte what keepalived 2.2.7 sent to an SMTP sink (captured for a VRRP
 * instance, a sync group and TCP_CHECK / HTTP_GET / MISC_CHECK real servers), apart from the date.
 */
import { describe, expect, it } from 'vitest';
import { dataSection, groupMail, instanceMail, mailDate, quorumMail, realServerMail } from '../../../src/alert/messages.js';

const AT = new Date(Date.UTC(2026, 11, 6, 19, 20, 25));

describe('alert e-mails', () => {
  it('a VRRP instance entering BACKUP, as keepalived sends it (two recipients)', () => {
    const data = dataSection('lb@example.com', ['ops@example.com', 'noc@example.com'], instanceMail('DIR1', 'VI_1', 'BACKUP'), AT);
    expect(data.replace(/^Date: .*\r\n/, '')).toBe(
      'From: lb@example.com\r\nSubject: [DIR1] VRRP Instance VI_1 - Entering BACKUP state\r\nX-Mailer: Keepalived\r\nTo: ops@example.com, noc@example.com\r\n\r\n=> VRRP Instance is no longer owning VRRP VIPs <=\r\n\r\n.\r\n',
    );
    expect(instanceMail('DIR1', 'VI_1', 'MASTER').body).toBe('=> VRRP Instance is now owning VRRP VIPs <=');
    expect(instanceMail('DIR1', 'VI_1', 'FAULT')).toEqual({
      subject: '[DIR1] VRRP Instance VI_1 - Entering FAULT state',
      body: '=> VRRP Instance is no longer owning VRRP VIPs <=',
    });
  });

  it('a sync group', () => {
    expect(groupMail('DIR1', 'G1', 'MASTER')).toEqual({
      subject: '[DIR1] VRRP Group G1 - Entering MASTER state',
      body: '=> All VRRP group instances are now in MASTER state <=',
    });
  });

  it('real servers: subject and the checker-specific body', () => {
    const rs = (up: boolean, c: string) => realServerMail('DIR1', '[127.0.0.1]:tcp:8081', '[192.0.2.200]:tcp:80', up, c);
    expect(rs(false, 'TCP_CHECK')).toEqual({
      subject: '[DIR1] Realserver [127.0.0.1]:tcp:8081 of virtual server [192.0.2.200]:tcp:80 - DOWN',
      body: '=> TCP CHECK failed on service <=',
    });
    expect(rs(true, 'TCP_CHECK').body).toBe('=> TCP CHECK succeed on service <=');
    expect(rs(false, 'HTTP_GET').body).toBe('=> CHECK failed on service : HTTP request failed <=');
    expect(rs(true, 'HTTP_GET').body).toBe('=> CHECK succeed on service <=');
    expect(rs(false, 'MISC_CHECK').body).toBe('=> MISC CHECK failed on service <=');
    expect(rs(true, 'MISC_CHECK')).toMatchObject({ subject: expect.stringMatching(/ - UP$/), body: '=> MISC CHECK succeeded on service <=' });
  });

  it("a virtual server's quorum (its own smtp_alert): at start, lost, gained", () => {
    const q = (up: boolean, start: boolean, live: number) => quorumMail('DIR1', '[192.0.2.200]:tcp:80', { up, start, quorum: 3, hysteresis: 0, live });
    expect(q(true, true, 3)).toEqual({ subject: '[DIR1] Virtualserver [192.0.2.200]:tcp:80 - UP', body: '=> Starting with quorum up 3+0=3 <= 3 <=' });
    expect(q(false, false, 2)).toEqual({ subject: '[DIR1] Virtualserver [192.0.2.200]:tcp:80 - DOWN', body: '=> Lost quorum 3+0=3 <= 2 <=' });
    expect(q(true, false, 3).body).toBe('=> Gained quorum 3+0=3 <= 3 <=');
  });

  it('the date is RFC 5322 local time with its offset', () => {
    expect(mailDate(AT)).toMatch(/^(Sun|Mon), 0[67] Dec 2026 \d\d:\d\d:25 [+-]\d{4}$/);
  });

  it('a line that starts with a dot is stuffed; no header can carry a line break', () => {
    const d = dataSection('a@b', ['c@d'], { subject: 'x\r\nBcc: e@f', body: '.hidden' }, AT);
    expect(d).toContain('\r\n..hidden\r\n');
    expect(d).toContain('Subject: x  Bcc: e@f\r\n');
  });
});
