/**
 * Checker layer: one probe per checker kind. TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK, SMTP_CHECK,
 * DNS_CHECK, UDP_CHECK and PING_CHECK are built. FILE_CHECK (a track_file's value) and BFD_CHECK (a BFD
 * session) are not probes: createProbe() returns undefined for them; the caller handles FILE_CHECK itself
 * and reports BFD_CHECK as unsupported.
 */
import type { Checker, SslConfig } from '../../config/model/lvs.js';
import type { Probe } from '../probe.js';
import { dnsProber } from './dns.js';
import { httpProbe } from './http.js';
import { miscProbe } from './misc.js';
import { pingProber } from './ping.js';
import { smtpProber } from './smtp.js';
import { tcpProber } from './tcp.js';
import { udpProber } from './udp.js';

export interface ProbeDeps {
  ssl?: SslConfig;
  scriptUser?: string;
  /** The real server's (else the virtual server's) virtualhost. */
  virtualhost?: string;
}

export function createProbe(c: Checker, deps: ProbeDeps): Probe | undefined {
  switch (c.type) {
    case 'TCP_CHECK':
      return tcpProber(c.connection);
    case 'HTTP_GET':
    case 'SSL_GET':
      return (signal) => httpProbe(c, { ...(deps.virtualhost ? { virtualhost: deps.virtualhost } : {}), ...(deps.ssl ? { ssl: deps.ssl } : {}) }, signal);
    case 'MISC_CHECK':
      return (signal) => miscProbe(c, deps.scriptUser, signal);
    case 'SMTP_CHECK':
      return smtpProber(c);
    case 'DNS_CHECK':
      return dnsProber(c);
    case 'UDP_CHECK':
      return udpProber(c);
    case 'PING_CHECK':
      return pingProber(c.connection);
    default:
      return undefined;
  }
}
