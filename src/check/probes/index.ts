/**
 * Checker layer: one probe per checker kind. TCP_CHECK, HTTP_GET, SSL_GET and MISC_CHECK are built;
 * for the others createProbe() returns undefined and the caller says so (the real server is then
 * judged by its other checkers, as if that one always passed).
 */
import type { Checker, SslConfig } from '../../config/model/lvs.js';
import type { Probe } from '../probe.js';
import { httpProbe } from './http.js';
import { miscProbe } from './misc.js';
import { tcpProbe } from './tcp.js';

export interface ProbeDeps {
  ssl?: SslConfig;
  scriptUser?: string;
  /** The real server's (else the virtual server's) virtualhost. */
  virtualhost?: string;
}

export function createProbe(c: Checker, deps: ProbeDeps): Probe | undefined {
  switch (c.type) {
    case 'TCP_CHECK':
      return (signal) => tcpProbe(c.connection, signal);
    case 'HTTP_GET':
    case 'SSL_GET':
      return (signal) => httpProbe(c, { ...(deps.virtualhost ? { virtualhost: deps.virtualhost } : {}), ...(deps.ssl ? { ssl: deps.ssl } : {}) }, signal);
    case 'MISC_CHECK':
      return (signal) => miscProbe(c, deps.scriptUser, signal);
    default:
      return undefined;
  }
}
