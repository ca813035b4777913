/**
 * Alert layer, pure: the e-mails keepalived sends when smtp_alert is on, as keepalived 2.2.7 writes them
 * (subjects, one-line bodies, headers, captured from it against an SMTP sink), and the DATA section they
 * travel in. The SMTP conversation itself is smtp.ts's.
 */

export interface Mail {
  subject: string;
  body: string;
}

type VrrpState = 'MASTER' | 'BACKUP' | 'FAULT';

export function instanceMail(routerId: string, instance: string, state: VrrpState): Mail {
  return {
    subject: `[${routerId}] VRRP Instance ${instance} - Entering ${state} state`,
    body: state === 'MASTER' ? '=> VRRP Instance is now owning VRRP VIPs <=' : '=> VRRP Instance is no longer owning VRRP VIPs <=',
  };
}

export function groupMail(routerId: string, group: string, state: VrrpState): Mail {
  return { subject: `[${routerId}] VRRP Group ${group} - Entering ${state} state`, body: `=> All VRRP group instances are now in ${state} state <=` };
}

/**
 * A real server's health changed. The body names the checker as keepalived does for TCP_CHECK, HTTP_GET
 * and MISC_CHECK; the other checkers' bodies follow the same pattern.
 */
export function realServerMail(routerId: string, rs: string, vs: string, up: boolean, checker: string | undefined): Mail {
  let body: string;
  switch (checker) {
    case 'TCP_CHECK':
      body = up ? '=> TCP CHECK succeed on service <=' : '=> TCP CHECK failed on service <=';
      break;
    case 'HTTP_GET':
    case 'SSL_GET':
      body = up ? '=> CHECK succeed on service <=' : `=> CHECK failed on service : ${checker === 'SSL_GET' ? 'SSL' : 'HTTP'} request failed <=`;
      break;
    case 'MISC_CHECK':
      body = up ? '=> MISC CHECK succeeded on service <=' : '=> MISC CHECK failed on service <=';
      break;
    case undefined:
      body = up ? '=> CHECK succeed on service <=' : '=> CHECK failed on service <=';
      break;
    default: {
      const what = checker.replace(/_CHECK$/, '');
      body = up ? `=> ${what} CHECK succeed on service <=` : `=> ${what} CHECK failed on service <=`;
    }
  }
  return { subject: `[${routerId}] Realserver ${rs} of virtual server ${vs} - ${up ? 'UP' : 'DOWN'}`, body };
}

/**
 * A virtual server gained or lost its quorum, or started with it (virtual_server smtp_alert). The numbers
 * are the quorum, its hysteresis, their sum and the live weight, in keepalived's order.
 */
export function quorumMail(routerId: string, vs: string, q: { up: boolean; start: boolean; quorum: number; hysteresis: number; live: number }): Mail {
  const what = q.start ? 'Starting with quorum up' : q.up ? 'Gained quorum' : 'Lost quorum';
  return {
    subject: `[${routerId}] Virtualserver ${vs} - ${q.up ? 'UP' : 'DOWN'}`,
    body: `=> ${what} ${q.quorum}+${q.hysteresis}=${q.quorum + q.hysteresis} <= ${q.live} <=`,
  };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** RFC 5322 date in local time: `Sun, 06 Dec 2026 19:20:25 +0000`. */
export function mailDate(d: Date): string {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const a = Math.abs(off);
  return `${DAYS[d.getDay()]}, ${two(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${sign}${two(Math.floor(a / 60))}${two(a % 60)}`;
}

/** The DATA section, terminated by the lone dot: headers as keepalived sends them, CRLF line ends, dot-stuffed. */
export function dataSection(from: string, to: readonly string[], mail: Mail, date: Date): string {
  const lines = [`Date: ${mailDate(date)}`, `From: ${from}`, `Subject: ${mail.subject}`, 'X-Mailer: Keepalived', `To: ${to.join(', ')}`, '', mail.body, ''];
  return `${lines.map((l) => (l.startsWith('.') ? `.${l}` : l).replace(/[\r\n]/g, ' ')).join('\r\n')}\r\n.\r\n`;
}
