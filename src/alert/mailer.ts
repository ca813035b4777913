/**
 * Alert layer, edge: the process's SMTP alerts. Mails are queued (at most QUEUE_MAX; beyond that the
 * newest are dropped, counted in one log line) and sent one at a time in the background, so a mail
 * server that is down or slow never delays a VRRP transition or a check; each failure is one log line.
 * Reads the current global_defs through a getter, so a reload's new server or addresses apply at once.
 */
import * as os from 'node:os';
import type { GlobalDefs } from '../config/model/global.js';
import { dataSection, type Mail } from './messages.js';
import { sendMail } from './smtp.js';
import { errorText } from '../util/errors.js';

export const QUEUE_MAX = 64;

export interface MailerLog {
  info(msg: string): void;
  warn(msg: string): void;
}

export class Mailer {
  private readonly queue: Array<{ mail: Mail; at: Date }> = [];
  private sending = false;
  private dropped = 0;

  constructor(
    private readonly global: () => GlobalDefs,
    private readonly log: MailerLog,
  ) {}

  /** Mails go out only with an smtp_server and at least one notification_email address. */
  get enabled(): boolean {
    const g = this.global();
    return g.smtpServer !== undefined && g.notificationEmail.length > 0;
  }

  /** keepalived's router_id, its host name by default: the subjects' tag. */
  get routerId(): string {
    return this.global().routerId ?? os.hostname();
  }

  send(mail: Mail): void {
    if (!this.enabled) return;
    if (this.queue.length >= QUEUE_MAX) {
      if (this.dropped++ === 0) this.log.warn(`SMTP alert queue full (${QUEUE_MAX}): further alerts are dropped until it drains`);
      return;
    }
    this.queue.push({ mail, at: new Date() });
    if (!this.sending) void this.drain();
  }

  /** Alerts waiting to be sent (for tests and the status). */
  get pending(): number {
    return this.queue.length;
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      for (let job = this.queue.shift(); job; job = this.queue.shift()) {
        const g = this.global();
        if (!g.smtpServer || g.notificationEmail.length === 0) continue;
        const host = os.hostname();
        const server = `[${g.smtpServer.host}]:${g.smtpServer.port}`;
        try {
          await sendMail({
            host: g.smtpServer.host,
            port: g.smtpServer.port,
            helo: g.smtpHeloName ?? host,
            from: g.notificationEmailFrom ?? `keepalived@${host}`,
            to: g.notificationEmail,
            data: dataSection(g.notificationEmailFrom ?? `keepalived@${host}`, g.notificationEmail, job.mail, job.at),
            timeoutMs: Math.max(1, g.smtpConnectTimeoutS) * 1000,
          });
          this.log.info(`Remote SMTP server ${server} connected.`);
          this.log.info('SMTP alert successfully sent.');
        } catch (e) {
          this.log.warn(`SMTP alert "${job.mail.subject}" not sent to ${server}: ${errorText(e)}`);
        }
        if (this.dropped > 0 && this.queue.length === 0) {
          this.log.warn(`${this.dropped} SMTP alert(s) were dropped while the queue was full`);
          this.dropped = 0;
        }
      }
    } finally {
      this.sending = false;
    }
  }
}
