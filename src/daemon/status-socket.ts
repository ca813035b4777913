/**
 * Daemon layer, edge: the status socket. A unix stream socket (default /run/tskeepalived.sock, mode
 * 0600: root only). A client sends one request line and gets one JSON document, then the connection is
 * closed: `status` (or nothing within REQUEST_WAIT_MS, so `socat - UNIX:...` still works) answers the
 * daemon's snapshot, which `tskeepalived status` reads; `handover` asks the daemon to exit in handover mode
 * (handover.ts) and answers `{"handover":{"pid":...,"file":...}}` once the state file is written, or
 * `{"error":...}`. No signals, no files in /tmp. A socket file left by a dead daemon is replaced; one a live
 * daemon answers on is left alone (this daemon then runs without one, and says so).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { errorText, NotRunningError, PermissionError } from '../util/errors.js';

export const DEFAULT_STATUS_SOCKET = '/run/tskeepalived.sock';
/** A client that sends no request line within this time gets the snapshot. */
const REQUEST_WAIT_MS = 200;
/** A request line longer than this is refused. */
const MAX_REQUEST = 256;

export interface StatusHandlers {
  /** `handover`: resolves once the state file is written (the daemon exits afterwards). */
  handover?: () => Promise<{ pid: number; file: string }>;
  /** `health`: readiness (every process the configuration needs is running); the answer itself is liveness. */
  readiness?: () => { ready: boolean; why?: string };
}

function answers(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(file);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

export class StatusServer {
  private constructor(
    private readonly server: net.Server,
    readonly file: string,
  ) {}

  /** Listens on `file`; throws with the reason when it cannot. */
  static async listen(file: string, snapshot: () => unknown, handlers: StatusHandlers = {}): Promise<StatusServer> {
    // The snapshot may be a promise (the supervisor asks its children).
    if (fs.existsSync(file)) {
      if (await answers(file)) throw new Error(`status socket ${file} is in use by another running daemon`);
      fs.rmSync(file, { force: true });
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const answer = (c: net.Socket, work: () => unknown) =>
      Promise.resolve()
        .then(work)
        .then(
          (s) => c.end(JSON.stringify(s) + '\n'),
          (e: Error) => c.end(JSON.stringify({ error: e.message }) + '\n'),
        );
    const server = net.createServer((c) => {
      c.on('error', () => undefined);
      let buf = '';
      let done = false;
      const go = (req: string) => {
        if (done) return;
        done = true;
        clearTimeout(t);
        // Only ours: the socket's own 'end' listener closes it once the client is done.
        c.off('data', onData);
        c.off('end', onEnd);
        if (req === 'status') return void answer(c, snapshot);
        if (req === 'health') return void answer(c, () => ({ live: true, ...(handlers.readiness?.() ?? { ready: true }) }));
        if (req === 'handover')
          return void answer(c, async () => {
            if (!handlers.handover) throw new Error('this daemon cannot hand over');
            return { handover: await handlers.handover() };
          });
        void answer(c, () => Promise.reject(new Error(`unknown request '${req.slice(0, 40)}' (status, health or handover)`)));
      };
      const t = setTimeout(() => go('status'), REQUEST_WAIT_MS);
      const onData = (d: Buffer) => {
        buf += d.toString('utf8');
        const nl = buf.indexOf('\n');
        if (nl >= 0) go(buf.slice(0, nl).trim());
        else if (buf.length > MAX_REQUEST) go(buf.slice(0, MAX_REQUEST));
      };
      const onEnd = () => go(buf.trim() || 'status');
      c.on('data', onData);
      c.on('end', onEnd);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(file, () => {
        server.off('error', reject);
        resolve();
      });
    });
    fs.chmodSync(file, 0o600);
    server.unref();
    return new StatusServer(server, file);
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
    fs.rmSync(this.file, { force: true });
  }
}

/** Client side: the snapshot a daemon returns, or a readable error. */
export function readStatus(file: string, timeoutMs = 5000): Promise<unknown> {
  return request(file, 'status', timeoutMs);
}

/** Client side: one request line, one JSON answer (or a readable error). */
export function request(file: string, req: 'status' | 'health' | 'handover', timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const c = net.connect(file);
    c.once('connect', () => c.write(`${req}\n`));
    const chunks: Buffer[] = [];
    const t = setTimeout(() => {
      c.destroy();
      reject(new Error(`no answer on ${file} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    c.on('data', (d) => chunks.push(d));
    c.on('end', () => {
      clearTimeout(t);
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (e) {
        reject(new Error(`bad answer on ${file}: ${errorText(e)}`));
      }
    });
    c.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      const what = `cannot ${req === 'status' ? 'read the status from' : 'ask for a handover on'} ${file}`;
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') reject(new NotRunningError(`${what}: no tskeepalived is running there`, { cause: e }));
      else if (e.code === 'EACCES') reject(new PermissionError(`${what}: permission denied (run as root)`, { cause: e }));
      else reject(new Error(`${what}: ${e.message}`, { cause: e }));
    });
  });
}
