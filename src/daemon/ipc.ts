/**
 * Daemon layer, edge: requests between the supervising process and its children over Node's IPC channel
 * (`fork` with `serialization: 'advanced'`, so Maps, BigInts and typed arrays cross as they are).
 *
 * One shape each way: `{ t: 'req', id, op, arg }` is answered by `{ t: 'res', id, ok, value | error }`;
 * `{ t: 'ev', name, arg }` is a one-way event. A request that gets no answer within its time limit, or
 * whose peer goes away, is rejected with the reason, so no caller waits forever on a dead child.
 */

export type Handler = (arg: unknown) => unknown;

/** A ChildProcess (in the supervisor) or `process` (in a child). */
interface Port {
  // biome-ignore lint/suspicious/noExplicitAny: Node's overloads of send() differ between the two.
  send?: ((msg: any, cb?: any) => boolean) | undefined;
  on(ev: 'message', fn: (m: unknown) => void): unknown;
  connected?: boolean;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

type Msg =
  | { t: 'req'; id: number; op: string; arg: unknown }
  | { t: 'res'; id: number; ok: boolean; value?: unknown; error?: string }
  | { t: 'ev'; name: string; arg: unknown };

export class RpcPeer {
  private nextId = 1;
  /** BOUNDED by the requests in flight: each ends by an answer, its time limit or close(). */
  private readonly pending = new Map<number, Pending>();
  private closedWhy: string | undefined;

  constructor(
    private readonly port: Port,
    private readonly handlers: Record<string, Handler> = {},
    private readonly onEvent: (name: string, arg: unknown) => void = () => undefined,
  ) {
    port.on('message', (m) => this.receive(m as Msg));
  }

  /** Asks the peer to run `op`; rejects after `timeoutMs` or when the peer goes away. */
  request<T>(op: string, arg?: unknown, timeoutMs = 30_000): Promise<T> {
    if (this.closedWhy !== undefined) return Promise.reject(new Error(this.closedWhy));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to '${op}' within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.post({ t: 'req', id, op, arg }, (e) => {
        if (!e) return;
        const p = this.pending.get(id);
        if (!p) return;
        clearTimeout(p.timer);
        this.pending.delete(id);
        p.reject(new Error(`cannot send '${op}': ${e.message}`));
      });
    });
  }

  /** A one-way message (lost without error if the peer is gone). */
  emit(name: string, arg?: unknown): void {
    this.post({ t: 'ev', name, arg });
  }

  /** Rejects every request in flight (the peer exited or disconnected) and any later one. */
  close(why: string): void {
    this.closedWhy = why;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(why));
    }
    this.pending.clear();
  }

  private post(m: Msg, cb?: (e: Error | null) => void): void {
    if (!this.port.send || this.port.connected === false) return cb?.(new Error('channel closed'));
    try {
      this.port.send(m, cb ?? (() => undefined));
    } catch (e) {
      cb?.(e as Error);
    }
  }

  private receive(m: Msg): void {
    if (!m || typeof m !== 'object') return;
    if (m.t === 'res') {
      const p = this.pending.get(m.id);
      if (!p) return;
      clearTimeout(p.timer);
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(m.error ?? 'failed'));
    } else if (m.t === 'ev') {
      this.onEvent(m.name, m.arg);
    } else if (m.t === 'req') {
      const h = this.handlers[m.op];
      const answer = (ok: boolean, value?: unknown, error?: string) =>
        this.post(ok ? { t: 'res', id: m.id, ok, value } : { t: 'res', id: m.id, ok, error: error ?? 'failed' });
      if (!h) return answer(false, undefined, `unknown request '${m.op}'`);
      Promise.resolve()
        .then(() => h(m.arg))
        .then(
          (v) => answer(true, v),
          (e: unknown) => answer(false, undefined, e instanceof Error ? e.message : String(e)),
        );
    }
  }
}
