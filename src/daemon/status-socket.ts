/**
 * Daemon layer, edge: the status socket. A unix stream socket (default /run/tskeepalived.sock, mode
 * 0600: root only) where any connection gets the daemon's snapshot as one JSON document and is closed;
 * `tskeepalived status` reads it. No signals, no files in /tmp. A socket file left by a dead daemon is
 * replaced; one a live daemon answers on is left alone (this daemon then runs without one, and says so).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

export const DEFAULT_STATUS_SOCKET = '/run/tskeepalived.sock';

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
  static async listen(file: string, snapshot: () => unknown): Promise<StatusServer> {
    // The snapshot may be a promise (the supervisor asks its children).
    if (fs.existsSync(file)) {
      if (await answers(file)) throw new Error(`status socket ${file} is in use by another running daemon`);
      fs.rmSync(file, { force: true });
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const server = net.createServer((c) => {
      c.on('error', () => undefined);
      Promise.resolve()
        .then(snapshot)
        .then(
          (s) => c.end(JSON.stringify(s) + '\n'),
          (e: Error) => c.end(JSON.stringify({ error: e.message }) + '\n'),
        );
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
  return new Promise((resolve, reject) => {
    const c = net.connect(file);
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
        reject(new Error(`bad answer on ${file}: ${(e as Error).message}`));
      }
    });
    c.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      const why = e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? 'no tskeepalived is running there' : e.code === 'EACCES' ? 'permission denied (run as root)' : e.message;
      reject(new Error(`cannot read the status from ${file}: ${why}`));
    });
  });
}
