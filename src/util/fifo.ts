/**
 * Util layer, edge: a notify FIFO writer (keepalived's notify_fifo / vrrp_notify_fifo / lvs_notify_fifo).
 * The FIFO is created (mode 0660, owned by the configured user/group) when it does not exist and removed at
 * close if we created it; it is opened read-write and non-blocking, as keepalived does, so a missing reader
 * never blocks the daemon. A line that does not fit (no reader draining the pipe) is dropped with one
 * warning per burst. The optional `*_notify_fifo_script` is started with the FIFO name as its last
 * argument and killed (its process group) at close.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { resolveIdentity } from './users.js';
import { errorText } from './errors.js';

/** A notify FIFO as configured (the configuration's NotifyFifo is one): path, owner, optional script. */
export interface FifoSpec {
  name?: string;
  user?: string;
  group?: string;
  script?: { argv: string[]; user?: string; group?: string };
}

export interface FifoLog {
  info(msg: string): void;
  warn(msg: string): void;
}

export class FifoWriter {
  private fd: number | undefined;
  private created = false;
  private child: ChildProcess | undefined;
  private dropping = false;

  private constructor(
    readonly path: string,
    private readonly log: FifoLog,
  ) {}

  /** Opens (creating if needed) the FIFO of `spec`; undefined, after saying why, when it cannot. */
  static open(spec: FifoSpec | undefined, log: FifoLog, scriptUser?: string): FifoWriter | undefined {
    if (!spec?.name) return undefined;
    const w = new FifoWriter(spec.name, log);
    try {
      if (!fs.existsSync(spec.name)) {
        const r = spawnSync('mkfifo', ['-m', '0660', spec.name], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`mkfifo: ${(r.stderr || r.error?.message || 'failed').trim()}`);
        w.created = true;
        if (spec.user) {
          const id = resolveIdentity(spec.user, spec.group);
          fs.chownSync(spec.name, id.uid, id.gid);
        }
      } else if (!fs.statSync(spec.name).isFIFO()) {
        throw new Error('exists and is not a FIFO');
      }
      w.fd = fs.openSync(spec.name, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    } catch (e) {
      log.warn(`notify FIFO ${spec.name}: ${errorText(e)} - FIFO notifications disabled`);
      w.close();
      return undefined;
    }
    if (spec.script?.argv[0]) {
      const [cmd, ...args] = spec.script.argv;
      const user = spec.script.user ?? scriptUser;
      try {
        const id = user ? resolveIdentity(user, spec.script.group) : undefined;
        w.child = spawn(cmd!, [...args, spec.name], { detached: true, stdio: 'ignore', ...(id ?? {}) });
        w.child.on('error', (e) => log.warn(`notify FIFO script ${cmd}: ${e.message}`));
        w.child.unref();
      } catch (e) {
        log.warn(`notify FIFO script ${cmd}: ${errorText(e)}`);
      }
    }
    log.info(`notify FIFO ${spec.name} open`);
    return w;
  }

  /**
   * A writer to a FIFO another process of the daemon owns (created, scripted and removed there): opened
   * at the first line, never created or removed here. keepalived's checker process writes its lines to
   * the global notify_fifo that way.
   */
  static attach(name: string, log: FifoLog): FifoWriter {
    const w = new FifoWriter(name, log);
    w.lazy = true;
    return w;
  }

  private lazy = false;

  /** Writes one line (a newline is added). Never throws, never blocks. */
  write(line: string): void {
    if (this.fd === undefined && this.lazy) {
      try {
        if (fs.statSync(this.path).isFIFO()) this.fd = fs.openSync(this.path, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
      } catch (e) {
        if (!this.dropping) this.log.warn(`notify FIFO ${this.path}: ${errorText(e)} - dropping lines until it can be opened`);
        this.dropping = true;
      }
    }
    if (this.fd === undefined) return;
    try {
      fs.writeSync(this.fd, `${line}\n`);
      this.dropping = false;
    } catch (e) {
      if (!this.dropping) this.log.warn(`notify FIFO ${this.path}: ${errorText(e)} - dropping lines until a reader drains it`);
      this.dropping = true;
    }
  }

  close(): void {
    if (this.child?.pid && this.child.exitCode === null) {
      try {
        process.kill(-this.child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    if (this.created) fs.rmSync(this.path, { force: true });
    this.created = false;
  }
}
