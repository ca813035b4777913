/**
 * Checker layer, edge: SMTP_CHECK, one attempt (keepalived check_smtp.c): connect, read the greeting
 * (220), send "HELO <helo_name>", read 250, send "QUIT", read one more line (any content), success.
 * As keepalived, a line's status is three digits followed by a space or the end of the line, so a
 * multi-line "220-..." greeting fails (a trailing CR is also accepted here; keepalived refuses a bare
 * "250\r\n"), and anything after the first newline of a read is dropped. connect_timeout bounds the
 * whole exchange (keepalived: each read and write). Reasons use keepalived's wording.
 */
import type * as net from 'node:net';
import type { SmtpCheck } from '../../config/model/lvs.js';
import { lateTimer } from '../../util/late-timer.js';
import type { Probe } from '../probe.js';
import { connect, connectOptions, endpoint } from './tcp.js';

/** keepalived's SMTP_BUFF_MAX: a longer line without a newline is wrapped (the buffer cleared). */
const BUFF_MAX = 512;

/** The status of a reply line, or -1 when it has none. (pure) */
export function smtpStatus(line: string): number {
  const m = /^(\d{3})(?: |\r|$)/.exec(line);
  return m ? Number(m[1]) : -1;
}

interface Step {
  /** Status the line must carry (undefined = any line), else the failure text. */
  expect?: number;
  fail?: string;
  /** Sent once the line passed; none = the attempt succeeded. */
  send?: string;
}

/** Runs the conversation on a connected socket within `ms`; resolves with the failure text, or undefined. */
function converse(s: net.Socket, steps: Step[], ms: number, signal: AbortSignal, where: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    let buf = '';
    let step = 0;
    let done = false;
    const finish = (reason?: string) => {
      if (done) return;
      done = true;
      t.cancel();
      signal.removeEventListener('abort', onAbort);
      s.destroy();
      resolve(reason);
    };
    const onAbort = () => finish('aborted');
    const t = lateTimer(() => finish(`SMTP_CHECK Read timeout from server ${where}`), Math.max(0, ms));
    signal.addEventListener('abort', onAbort);
    if (signal.aborted) return finish('aborted');
    s.on('data', (chunk: Buffer) => {
      if (buf.length >= BUFF_MAX - 1) buf = '';
      buf += chunk.toString('latin1');
      const nl = buf.indexOf('\n');
      if (nl < 0 || done) return;
      const line = buf.slice(0, nl);
      buf = '';
      const st = steps[step++]!;
      if (st.expect !== undefined && smtpStatus(line) !== st.expect) return finish(`SMTP_CHECK ${st.fail} from server ${where}`);
      if (st.send === undefined) return finish();
      s.write(st.send);
    });
    s.on('error', (e: NodeJS.ErrnoException) => finish(`SMTP_CHECK Read failure from server ${where}: ${e.code ?? e.message}`));
    s.on('end', () => finish(`SMTP_CHECK Read failure from server ${where}: connection closed`));
    s.on('close', () => finish(`SMTP_CHECK Read failure from server ${where}: connection closed`));
  });
}

/** SMTP_CHECK for one checker: the returned function is one attempt. */
export function smtpProber(c: SmtpCheck): Probe {
  const conn = c.connection;
  const opts = connectOptions(conn);
  const where = endpoint(conn);
  const steps: Step[] = [
    { expect: 220, fail: 'Bad greeting banner', send: `HELO ${c.heloName}\r\n` },
    { expect: 250, fail: 'Bad HELO response', send: 'QUIT\r\n' },
    {},
  ];
  return async (signal) => {
    const t0 = performance.now();
    const r = await connect(conn, signal, opts);
    let reason: string | undefined;
    if (!r.socket) {
      reason =
        r.error === 'aborted'
          ? 'aborted'
          : r.error === 'timeout'
            ? `SMTP_CHECK Connection timeout to server ${where}`
            : `SMTP_CHECK Error connecting to server ${where}: ${r.error}`;
    } else {
      reason = await converse(r.socket, steps, conn.connectTimeoutS * 1000 - (performance.now() - t0), signal, where);
    }
    const ms = performance.now() - t0;
    return reason === undefined ? { ok: true, ms } : { ok: false, reason, ms };
  };
}
