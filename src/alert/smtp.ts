/**
 * Alert layer, edge: one SMTP conversation (RFC 5321, the subset keepalived uses): greeting, HELO, MAIL
 * FROM, one RCPT TO per address, DATA, QUIT. Every step waits at most `timeoutMs` for its reply; a host
 * name is resolved first. Rejects with the step and the server's answer.
 */
import * as dns from 'node:dns/promises';
import * as net from 'node:net';

export interface SmtpJob {
  host: string;
  port: number;
  helo: string;
  from: string;
  to: readonly string[];
  data: string;
  timeoutMs: number;
}

/** Sends one mail; resolves with the address connected to. */
export async function sendMail(job: SmtpJob): Promise<string> {
  const address = net.isIP(job.host) ? job.host : (await dns.lookup(job.host)).address;
  const sock = net.connect({ host: address, port: job.port });
  sock.setNoDelay(true);
  let buf = '';
  let waiter: { resolve: (line: string) => void; reject: (e: Error) => void } | undefined;
  let failure: Error | undefined;
  const fail = (e: Error) => {
    failure ??= e;
    waiter?.reject(e);
    waiter = undefined;
  };
  sock.on('error', fail);
  sock.on('close', () => fail(new Error('connection closed by the server')));
  sock.on('data', (d) => {
    buf += d.toString('latin1');
    // A reply ends with a line "NNN text" (continuation lines are "NNN-text").
    for (;;) {
      const i = buf.indexOf('\n');
      if (i < 0) break;
      const line = buf.slice(0, i).replace(/\r$/, '');
      buf = buf.slice(i + 1);
      if (/^\d{3}(?: |$)/.test(line) && waiter) {
        const w = waiter;
        waiter = undefined;
        w.resolve(line);
      }
    }
  });
  const reply = (step: string, ok: (code: number) => boolean) =>
    new Promise<string>((resolve, reject) => {
      if (failure) return reject(failure);
      const t = setTimeout(() => reject(new Error(`no answer to ${step} within ${job.timeoutMs} ms`)), job.timeoutMs);
      waiter = {
        resolve: (line) => {
          clearTimeout(t);
          if (ok(Number(line.slice(0, 3)))) resolve(line);
          else reject(new Error(`${step} refused: ${line}`));
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      };
    });
  const send = (text: string) => sock.write(text);
  const two = (c: number) => c >= 200 && c < 300;
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`cannot connect within ${job.timeoutMs} ms`)), job.timeoutMs);
      sock.once('connect', () => {
        clearTimeout(t);
        resolve();
      });
      sock.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
    await reply('the greeting', two);
    send(`HELO ${job.helo}\r\n`);
    await reply('HELO', two);
    send(`MAIL FROM:<${job.from}>\r\n`);
    await reply('MAIL FROM', two);
    for (const to of job.to) {
      send(`RCPT TO:<${to}>\r\n`);
      await reply(`RCPT TO <${to}>`, two);
    }
    send('DATA\r\n');
    await reply('DATA', (c) => c === 354);
    send(job.data);
    await reply('the message', two);
    send('QUIT\r\n');
    await reply('QUIT', () => true).catch(() => undefined);
    return address;
  } finally {
    sock.destroy();
  }
}
