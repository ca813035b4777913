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
import { rt as rtns } from 'netlink';
import { MONITOR_GROUPS, RTM, linkUp, toEvent, type ParsedMessage, type RtnlEvent } from './rtnl-events.js';
import { dump, NETLINK_ROUTE, openNetlink, type NetlinkSocket } from './netlink/socket.js';
import { splitMessages } from './netlink/message.js';
import { errorText } from '../util/errors.js';

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
  info?(msg: string): void;
  warn(msg: string): void;
}

export interface MonitorOptions {
  /** `vrrp_netlink_monitor_rcv_bufs`: the subscription's receive buffer in bytes (default 4 MiB). */
  rcvBufs?: number;
  /** `vrrp_netlink_monitor_rcv_bufs_force`: SO_RCVBUFFORCE, past net.core.rmem_max (default: forced when the
   * size is the default one, as asked otherwise). */
  force?: boolean;
}

/** 4 MiB: a burst of thousands of notifications (an interface with many addresses going away) fits. */
const RECV_BUFFER = 4 << 20;
/** For tests only: a smaller receive buffer (bytes), so that a burst overruns it (docs/robustness.md, "Netlink overrun"). */
const TEST_RECV_BUFFER = Number(process.env.TSKEEPALIVED_TEST_RTNL_RCVBUF ?? 0);
/** A message laid out by the package's rtnetlink tables; throws for a type it has no table for. */
function parse(type: number, payload: Buffer): ParsedMessage {
  return rtns.parseMessage(type as Parameters<typeof rtns.parseMessage>[0], payload) as ParsedMessage;
}

/** struct ifinfomsg, all zero: every link of every family. */
const IFINFOMSG = Buffer.alloc(16);

export class RtnlMonitor implements LinkSource {
  private readonly byName = new Map<string, LinkInfo>();
  private readonly listeners = new Set<MonitorListener>();
  private closed = false;
  /** Errors the subscription reported (overruns), for tests and metrics. */
  overruns = 0;
  private resyncing: Promise<void> | undefined;

  private constructor(
    private readonly sub: NetlinkSocket,
    private readonly log: MonitorLog,
  ) {}

  /** Subscribes, then dumps the links (notifications during the dump are applied after it). */
  static async open(log: MonitorLog, opts: MonitorOptions = {}): Promise<RtnlMonitor> {
    const sub = openNetlink(NETLINK_ROUTE, 'the rtnetlink subscription');
    try {
      setBuffer(sub, opts, log);
      for (const g of Object.values(MONITOR_GROUPS)) sub.join(g);
    } catch (e) {
      sub.close();
      throw e;
    }
    if (sub.impl !== 'native')
      log.warn(
        'rtnetlink: the native netlink socket is not built; an overrun of the subscription (ENOBUFS) will end the VRRP process, which is then restarted',
      );
    const m = new RtnlMonitor(sub, log);
    const queued: RtnlEvent[] = [];
    let ready = false;
    // This runs inside a native callback: an exception escaping it would end the process, so none does;
    // a listener's failure is logged with its stack.
    sub.onDatagrams((datagrams) => {
      for (const d of datagrams) {
        for (const x of splitMessages(d)) {
          let ev: RtnlEvent | undefined;
          try {
            ev = toEvent(x.type, parse(x.type, x.payload));
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
      }
    });
    sub.onError((e) => {
      if (m.closed) return;
      m.overruns++;
      if (e.code === 'ENOBUFS') {
        log.warn('rtnetlink: notifications lost (receive buffer full): reading the links again');
        m.resync();
      } else log.warn(`rtnetlink monitor: ${e.message}`);
    });
    try {
      await m.dumpLinks();
    } catch (e) {
      m.close();
      throw e;
    }
    ready = true;
    for (const ev of queued.splice(0)) m.dispatch(ev);
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
    this.sub.close();
  }

  private async dumpLinks(): Promise<void> {
    const msgs = await dump(NETLINK_ROUTE, 18 /* RTM_GETLINK */, IFINFOMSG, 'RTM_GETLINK dump');
    this.byName.clear();
    for (const x of msgs) {
      if (x.type !== RTM.NEWLINK) continue;
      let l: ParsedMessage;
      try {
        l = parse(x.type, x.payload);
      } catch {
        continue;
      }
      const name = l.attrs?.ifname;
      if (typeof name !== 'string') continue;
      this.byName.set(name, { index: Number(l.data?.index), name, up: linkUp(l.data, l.attrs) });
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
        this.log.warn(`rtnetlink event handler: ${errorText(e)}`);
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

/** Sets the subscription's receive buffer, forced past rmem_max when asked (or by default), else capped by it. */
function setBuffer(sub: NetlinkSocket, opts: MonitorOptions, log: MonitorLog): void {
  const bytes = TEST_RECV_BUFFER > 0 ? TEST_RECV_BUFFER : (opts.rcvBufs ?? RECV_BUFFER);
  const force = opts.force ?? opts.rcvBufs === undefined;
  if (force && sub.impl === 'native') {
    try {
      sub.setReceiveBuffer(bytes, true);
      return;
    } catch (e) {
      // EPERM without CAP_NET_ADMIN: the plain option, capped by rmem_max.
      log.warn(`rtnetlink: ${errorText(e)}; asking for ${bytes} bytes with SO_RCVBUF, capped by net.core.rmem_max`);
    }
  }
  sub.setReceiveBuffer(bytes, false);
}
