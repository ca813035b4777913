/**
 * Checker layer, edge: TCP_CHECK, one attempt. Success = the TCP handshake completes within
 * connect_timeout (keepalived check_tcp.c); the connection is then closed. bindto/bind_port are honoured;
 * bind_if and fwmark (SO_BINDTODEVICE / SO_MARK) are not settable from Node's net module: reported once.
 */
import * as net from 'node:net';
import type { CheckerConnection } from '../../config/model/lvs.js';
import type { ProbeOutcome } from '../probe.js';

export function endpoint(c: CheckerConnection): string {
  return c.family === 'inet6' ? `[${c.connectIp}]:tcp:${c.connectPort}` : `[${c.connectIp}]:tcp:${c.connectPort}`;
}

/** Opens a TCP connection as the checker's connection settings say; resolves with the socket or the error. */
export function connect(c: CheckerConnection, signal: AbortSignal): Promise<{ socket?: net.Socket; error?: string }> {
  return new Promise((resolve) => {
    const opts: net.NetConnectOpts = { host: c.connectIp, port: c.connectPort, family: c.family === 'inet6' ? 6 : 4 };
    if (c.bindTo) (opts as net.TcpNetConnectOpts).localAddress = c.bindTo;
    if (c.bindPort) (opts as net.TcpNetConnectOpts).localPort = c.bindPort;
    const s = net.connect(opts);
    let done = false;
    const finish = (r: { socket?: net.Socket; error?: string }) => {
      if (done) return;
      done = true;
      clearTimeout(t);
      signal.removeEventListener('abort', onAbort);
      if (r.error) s.destroy();
      resolve(r);
    };
    const t = setTimeout(() => finish({ error: 'timeout' }), c.connectTimeoutS * 1000);
    const onAbort = () => finish({ error: 'aborted' });
    signal.addEventListener('abort', onAbort);
    s.once('connect', () => finish({ socket: s }));
    s.once('error', (e: NodeJS.ErrnoException) => finish({ error: e.code ?? e.message }));
  });
}

export async function tcpProbe(c: CheckerConnection, signal: AbortSignal): Promise<ProbeOutcome> {
  const t0 = performance.now();
  const r = await connect(c, signal);
  r.socket?.destroy();
  const ms = performance.now() - t0;
  return r.socket ? { ok: true, ms } : { ok: false, reason: `TCP connection to ${endpoint(c)} failed: ${r.error}`, ms };
}
