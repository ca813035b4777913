/**
 * Checker layer, edge: HTTP_GET and SSL_GET, one attempt (keepalived check_http.c): each url in turn is
 * fetched (GET, Host = virtualhost, HTTP/1.0 by default, 1.1 with http_protocol 1.1); it passes when the
 * status is in status_code, and, when given, the MD5 of the body equals digest and the regex matches (or,
 * with regex_no_match, does not). The whole attempt must finish within connect_timeout. SSL_GET does not
 * verify the server's certificate unless the SSL block gives a CA (keepalived's default). bind_if and
 * fwmark put the request on a socket opened by net/sockopt.ts (Node cannot set them itself).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import type { CheckerConnection, HttpCheck, SslConfig } from '../../config/model/lvs.js';
import { markedNetSocket, needsMarks } from '../../net/sockopt.js';
import { lateTimer } from '../../util/late-timer.js';
import type { ProbeOutcome } from '../probe.js';
import { errorText } from '../../util/errors.js';

export interface HttpTarget {
  /** The real server's or virtual server's virtualhost, when the checker has none. */
  virtualhost?: string;
  ssl?: SslConfig;
}

/** http(s).request's createConnection for a checker with bind_if / fwmark: our socket, then TLS on it. */
function markedConnection(conn: CheckerConnection, useTls: boolean): NonNullable<https.RequestOptions['createConnection']> {
  return (o) => {
    const m = markedNetSocket(conn.family, conn);
    if ('error' in m) throw new Error(m.error);
    const s = m.connect({ host: conn.connectIp, port: conn.connectPort, ...(conn.bindTo ? { localAddress: conn.bindTo } : {}) });
    return useTls ? tls.connect({ ...(o as tls.ConnectionOptions), socket: s }) : s;
  };
}

/** One GET as the checker makes it (also used by --genhash). */
export function fetchOnce(
  c: HttpCheck,
  url: HttpCheck['urls'][number],
  t: HttpTarget,
  signal: AbortSignal,
): Promise<{ status: number; headers: string; body: Buffer } | { error: string }> {
  const conn = c.connection;
  const tls = c.type === 'SSL_GET';
  const host = url.virtualhost ?? c.virtualhost ?? t.virtualhost;
  const opts: https.RequestOptions = {
    host: conn.connectIp,
    port: conn.connectPort,
    family: conn.family === 'inet6' ? 6 : 4,
    path: url.path,
    method: 'GET',
    signal,
    agent: false,
    headers: { ...(host ? { Host: host } : {}), 'User-Agent': 'tskeepalived', ...(c.httpProtocol === '1.0C' ? { Connection: 'close' } : {}) },
  };
  if (conn.bindTo) opts.localAddress = conn.bindTo;
  if (tls) {
    opts.rejectUnauthorized = Boolean(t.ssl?.ca);
    if (t.ssl?.ca) opts.ca = fs.readFileSync(t.ssl.ca);
    if (t.ssl?.certificate) opts.cert = fs.readFileSync(t.ssl.certificate);
    if (t.ssl?.key) opts.key = fs.readFileSync(t.ssl.key);
    if (t.ssl?.password) opts.passphrase = t.ssl.password;
    const sni = c.sniName ?? host;
    if (c.enableSni && sni) opts.servername = sni;
  }
  if (needsMarks(conn)) {
    // Without an agent the request uses createConnection (agent: false would make a fresh Agent with its own).
    delete opts.agent;
    opts.createConnection = markedConnection(conn, tls);
  }
  return new Promise((resolve) => {
    let req: http.ClientRequest;
    try {
      req = (tls ? https : http).request(opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: `HTTP/${res.httpVersion} ${res.statusCode} ${res.statusMessage}\n` + res.rawHeaders.map((h, i) => (i % 2 ? `${h}\n` : `${h}: `)).join(''),
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', (e) => resolve({ error: e.message }));
      });
    } catch (e) {
      resolve({ error: errorText(e) });
      return;
    }
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end();
  });
}

export async function httpProbe(c: HttpCheck, t: HttpTarget, signal: AbortSignal): Promise<ProbeOutcome> {
  const t0 = performance.now();
  const conn = c.connection;
  const where = `[${conn.connectIp}]:tcp:${conn.connectPort}`;
  const ctl = new AbortController();
  const timer = lateTimer(() => ctl.abort(), conn.connectTimeoutS * 1000);
  const onAbort = () => ctl.abort();
  signal.addEventListener('abort', onAbort);
  try {
    for (const url of c.urls.length > 0 ? c.urls : [{ path: '/', statusCodes: [[200, 299]] } as unknown as HttpCheck['urls'][number]]) {
      const r = await fetchOnce(c, url, t, ctl.signal);
      const ms = performance.now() - t0;
      if ('error' in r)
        return {
          ok: false,
          reason: `${c.type === 'SSL_GET' ? 'SSL' : 'HTTP'} connection to ${where} failed: ${ctl.signal.aborted && !signal.aborted ? 'timeout' : r.error}`,
          ms,
        };
      if (!url.statusCodes.some(([lo, hi]) => r.status >= lo && r.status <= hi))
        return { ok: false, reason: `HTTP status code error to ${where} url(${url.path}), status_code [${r.status}]`, ms };
      if (url.digest) {
        const md5 = createHash('md5').update(r.body).digest('hex');
        if (md5 !== url.digest) return { ok: false, reason: `MD5 digest error to ${where} url(${url.path}), digest(${md5})`, ms };
      }
      if (url.regex) {
        const flags = url.regex.options.includes('caseless') ? 'i' : '';
        const text = r.body.toString('latin1').slice(url.regex.minOffset ?? 0, url.regex.maxOffset !== undefined ? url.regex.maxOffset + 1 : undefined);
        const hit = new RegExp(url.regex.pattern, flags).test(text);
        if (hit === url.regex.noMatch)
          return { ok: false, reason: `Regex ${url.regex.noMatch ? 'matched' : 'did not match'} on ${where} url(${url.path})`, ms };
      }
    }
    return { ok: true, ms: performance.now() - t0 };
  } finally {
    timer.cancel();
    signal.removeEventListener('abort', onAbort);
  }
}
