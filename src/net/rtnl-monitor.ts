/**
 * Net layer, edge: the one rtnetlink subscription of the VRRP process. A netlink socket joined to the
 * link, IPv4/IPv6 address, route and rule groups delivers the kernel's notifications as they happen;
 * rtnl-events.ts turns each into an RtnlEvent and every listener gets it. The monitor also keeps the
 * table of links (name, index, up) that interface tracking reads, filled by a dump at start.
 *
 * When the kernel could not queue notifications for us (ENOBUFS: the receive buffer overflowed during a
 * burst), events were lost: the monitor dumps the links again and tells the listeners to resync, so
 * whatever they hold is checked against the kernel rather than against a stream with holes.
 */
import * as fs from 'node:fs';
import { createRtNetlink, rt as rtns, type RtNetlinkSocket } from 'netlink';
import { MONITOR_GROUPS, linkUp, toEvent, type ParsedMessage, type RtnlEvent } from './rtnl-events.js';

export interface LinkInfo {
  index: number;
  name: string;
  up: boolean;
}

export type MonitorListener = (ev: RtnlEvent | { kind: 'resync' }) => void;

/** Where interface state comes from (the monitor in the daemon, a fake in unit tests). */
export interface LinkSource {
  link(name: string): LinkInfo | undefined;
}

export interface MonitorLog {
  warn(msg: string): void;
}

/** 4 MiB: a burst of thousands of notifications (an interface with many addresses going away) fits. */
const RECV_BUFFER = 4 << 20;
/** For tests only: a smaller receive buffer (bytes), so that a burst overruns it (docs/robustness.md, "Netlink overrun"). */
const TEST_RECV_BUFFER = Number(process.env.TSKEEPALIVED_TEST_RTNL_RCVBUF ?? 0);

function closeSocket(s: RtNetlinkSocket | undefined): void {
  const raw = s as unknown as { socket?: { close?: () => void } } | undefined;
  try {
    raw?.socket?.close?.();
  } catch {
    // already closed
  }
}

export class RtnlMonitor implements LinkSource {
  private readonly byName = new Map<string, LinkInfo>();
  private readonly listeners = new Set<MonitorListener>();
  private closed = false;
  private resyncing: Promise<void> | undefined;

  private constructor(
    private readonly sub: RtNetlinkSocket,
    private readonly log: MonitorLog,
  ) {}

  /** Subscribes, then dumps the links (notifications during the dump are applied after it). */
  static async open(log: MonitorLog): Promise<RtnlMonitor> {
    const sub = createRtNetlink({ recvBufferSize: TEST_RECV_BUFFER > 0 ? TEST_RECV_BUFFER : RECV_BUFFER } as never);
    for (const g of Object.values(MONITOR_GROUPS)) sub.addMembership(g as never);
    const m = new RtnlMonitor(sub, log);
    const queued: RtnlEvent[] = [];
    let ready = false;
    // This runs inside the netlink package's native callback: an exception escaping it would abort the
    // process (N-API), so none does; a listener's failure is logged with its stack.
    sub.socket.on('message', (msgs: Array<{ type: number; data: Buffer }>) => {
      for (const x of msgs) {
        let ev: RtnlEvent | undefined;
        try {
          ev = toEvent(x.type, rtns.parseMessage(x.type as never, x.data) as ParsedMessage);
        } catch {
          continue; // a message the package cannot parse is not one we follow
        }
        if (!ev) continue;
        if (!ready) queued.push(ev);
        else {
          try {
            m.dispatch(ev);
          } catch (e) {
            log.warn(`rtnetlink monitor: handling a ${ev.kind} notification failed: ${(e as Error).stack ?? String(e)}`);
          }
        }
      }
    });
    sub.socket.on('error', (e: Error & { code?: string }) => {
      if (m.closed) return;
      if (e.code === 'ENOBUFS') {
        log.warn('rtnetlink: notifications lost (receive buffer full): reading the links again');
        m.resync();
      } else log.warn(`rtnetlink monitor: ${e.message}`);
    });
    await m.dumpLinks();
    ready = true;
    for (const ev of queued.splice(0)) m.dispatch(ev);
    // The subscription must not keep the process alive on its own.
    (sub.socket as unknown as { unref?: () => void }).unref?.();
    return m;
  }

  link(name: string): LinkInfo | undefined {
    return this.byName.get(name);
  }

  on(l: MonitorListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
    closeSocket(this.sub);
  }

  private async dumpLinks(): Promise<void> {
    const s = createRtNetlink();
    try {
      const links = await s.getLinks(undefined, undefined, { timeout: 5000 } as never);
      this.byName.clear();
      for (const l of links) {
        const name = l.attrs?.ifname;
        if (typeof name !== 'string') continue;
        const d = l.data as unknown as Record<string, unknown>;
        this.byName.set(name, { index: Number(d.index), name, up: linkUp(d, l.attrs as unknown as Record<string, unknown>) });
      }
    } finally {
      closeSocket(s);
    }
  }

  private resync(): void {
    this.resyncing ??= this.dumpLinks()
      .catch((e: Error) => this.log.warn(`rtnetlink: reading the links failed: ${e.message}`))
      .finally(() => {
        this.resyncing = undefined;
        if (!this.closed) this.emit({ kind: 'resync' });
      });
  }

  private dispatch(ev: RtnlEvent): void {
    if (ev.kind === 'link') {
      if (ev.op === 'del') {
        if (this.byName.get(ev.name)?.index === ev.index) this.byName.delete(ev.name);
      } else {
        // A rename: the index keeps its new name only.
        for (const [n, l] of this.byName) if (l.index === ev.index && n !== ev.name) this.byName.delete(n);
        this.byName.set(ev.name, { index: ev.index, name: ev.name, up: ev.up });
      }
    }
    this.emit(ev);
  }

  private emit(ev: RtnlEvent | { kind: 'resync' }): void {
    for (const l of [...this.listeners]) {
      try {
        l(ev);
      } catch (e) {
        this.log.warn(`rtnetlink event handler: ${(e as Error).message}`);
      }
    }
  }
}

/**
 * Link state read from /sys/class/net when the rtnetlink subscription cannot be opened: the daemon then
 * polls (and says so once); nothing else of the monitor's work is done.
 */
export class SysfsLinks implements LinkSource {
  link(name: string): LinkInfo | undefined {
    try {
      const index = Number(fs.readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8'));
      const state = fs.readFileSync(`/sys/class/net/${name}/operstate`, 'utf8').trim();
      return { index, name, up: state === 'up' || state === 'unknown' };
    } catch {
      return undefined;
    }
  }
}
