/**
 * Daemon layer: static_ipaddress, static_routes and static_rules, as keepalived's VRRP process keeps
 * them: installed at start whatever the VRRP states, put back when someone deletes one ("Restoring
 * deleted static ...") or when their interface comes back, changed by difference on a reload, and
 * removed at stop.
 */
import type { KeepalivedConfig } from '../config/model.js';
import type { StaticAddress, StaticRoute, StaticRule } from '../config/model/vrrp.js';
import { addressKey, type RtnlAddressManager, type VipSpec } from '../net/rtnl.js';
import { configuredRouteKey, configuredRuleKey, type RtnlRouteManager } from '../net/routes.js';
import type { LinkSource } from '../net/rtnl-monitor.js';
import type { RtnlEvent } from '../net/rtnl-events.js';
import { withoutLocs } from '../util/locs.js';
import { vipSpec } from '../vrrp/instance.js';
import type { Logger } from './log.js';
import { errorText } from '../util/errors.js';

interface Entry<T> {
  def: T;
  text: string;
}

const describeAddr = (v: VipSpec) => `${v.address}${v.prefixLen !== (v.family === 'inet' ? 32 : 128) ? `/${v.prefixLen}` : ''} dev ${v.dev}`;

export class StaticNet {
  private addrs: Entry<StaticAddress>[] = [];
  private routes: Entry<StaticRoute>[] = [];
  private rules: Entry<StaticRule>[] = [];
  private stopped = false;

  constructor(
    private readonly addresses: RtnlAddressManager,
    private readonly routing: RtnlRouteManager,
    private readonly links: LinkSource,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.addrs.length + this.routes.length + this.rules.length;
  }

  /** Installs the configuration's entries; on a reload removes those that left it and adds new ones. */
  async apply(cfg: KeepalivedConfig): Promise<void> {
    const v = cfg.vrrp;
    const next = {
      addrs: v.staticAddresses
        .filter((a) => {
          if (a.dev) return true;
          this.log.error(`static_ipaddress ${a.address}/${a.prefixLen} (${a.loc.file}:${a.loc.line}) names no interface (dev) - not installed`);
          return false;
        })
        .map((def) => ({ def, text: withoutLocs(def) })),
      routes: v.staticRoutes.map((def) => ({ def, text: withoutLocs(def) })),
      rules: v.staticRules.map((def) => ({ def, text: withoutLocs(def) })),
    };
    const gone = <T>(now: Entry<T>[], then: Entry<T>[]) => now.filter((e) => !then.some((x) => x.text === e.text));
    for (const e of gone(this.rules, next.rules)) await this.attempt(() => this.routing.removeRule(e.def));
    for (const e of gone(this.routes, next.routes)) await this.attempt(() => this.routing.removeRoute(e.def, undefined));
    for (const e of gone(this.addrs, next.addrs)) await this.attempt(() => this.addresses.remove(this.spec(e.def)));
    const added = { addrs: gone(next.addrs, this.addrs), routes: gone(next.routes, this.routes), rules: gone(next.rules, this.rules) };
    this.addrs = next.addrs;
    this.routes = next.routes;
    this.rules = next.rules;
    for (const e of added.addrs) await this.attempt(() => this.addresses.add(this.spec(e.def)));
    for (const e of added.routes) await this.attempt(() => this.routing.addRoute(e.def, undefined));
    for (const e of added.rules) await this.attempt(() => this.routing.addRule(e.def));
  }

  /** Puts back every entry (adding one that is there is not an error): after an interface came back, a resync. */
  async reinstate(): Promise<void> {
    if (this.stopped) return;
    for (const e of this.addrs) await this.attempt(() => this.addresses.add(this.spec(e.def)));
    for (const e of this.routes) await this.attempt(() => this.routing.addRoute(e.def, undefined));
    for (const e of this.rules) await this.attempt(() => this.routing.addRule(e.def));
  }

  /** A deletion reported by the kernel: an entry of ours that someone else deleted is put back. */
  onDeleted(ev: RtnlEvent): void {
    if (this.stopped) return;
    if (ev.kind === 'addr' && ev.op === 'del') {
      for (const e of this.addrs) {
        const v = this.spec(e.def);
        const index = this.links.link(v.dev)?.index;
        if (index === undefined || addressKey(v.address, v.prefixLen, index) !== addressKey(ev.address, ev.prefixLen, ev.index)) continue;
        // Deleted with its interface going down or away: put back when the interface is up again.
        if (this.links.link(v.dev)?.up !== true) continue;
        this.log.info(`Restoring deleted static address ${describeAddr(v)}`);
        void this.attempt(() => this.addresses.add(v));
      }
    } else if (ev.kind === 'route' && ev.op === 'del') {
      for (const e of this.routes) {
        if (!this.matches(() => configuredRouteKey(e.def), ev.key)) continue;
        this.log.info(`Restoring deleted static route ${e.def.words.join(' ')}`);
        void this.attempt(() => this.routing.addRoute(e.def, undefined));
      }
    } else if (ev.kind === 'rule' && ev.op === 'del') {
      for (const e of this.rules) {
        if (!this.matches(() => configuredRuleKey(e.def), ev.key)) continue;
        this.log.info(`Restoring deleted static rule ${e.def.words.join(' ')}`);
        void this.attempt(() => this.routing.addRule(e.def));
      }
    }
  }

  /** keepalived removes its static addresses, routes and rules when it stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const e of this.rules) await this.attempt(() => this.routing.removeRule(e.def));
    for (const e of this.routes) await this.attempt(() => this.routing.removeRoute(e.def, undefined));
    for (const e of this.addrs) await this.attempt(() => this.addresses.remove(this.spec(e.def)));
  }

  private spec(a: StaticAddress): VipSpec {
    return vipSpec(a, a.dev ?? '');
  }

  private matches(key: () => string, evKey: string): boolean {
    try {
      return key() === evKey;
    } catch {
      return false;
    }
  }

  private async attempt(f: () => Promise<void>): Promise<void> {
    try {
      await f();
    } catch (e) {
      this.log.warn(`static: ${errorText(e)}`);
    }
  }
}
