/**
 * Keyword tables: vrrp_instance, vrrp_sync_group, vrrp_script, vrrp_track_process, track_file
 * (and its deprecated synonym vrrp_track_file), bfd_instance, static_ipaddress, static_routes,
 * static_rules, track_group, garp_group, linkbeat_interfaces, interface_up_down_delays.
 *
 * Matches keepalived 2.2.7's vrrp_parser.c / track_file.c / bfd_parser.c: keyword names and
 * aliases, which keywords take a `{ ... }` list, ranges, and what is corrected or dropped at parse
 * time. As in keepalived, track_script / track_file / track_process / track_bfd entries are looked
 * up when they are read, so the tracked object must be defined earlier in the file. Checks against
 * the machine (interfaces, users) and the resolution of defaults are in validate/vrrp.ts.
 */
import type {
  BfdInstance,
  GarpGroup,
  NotifyScripts,
  TrackedInterface,
  TrackFile,
  TrackProcess,
  TrackRef,
  VrrpConfig,
  VrrpInstance,
  VrrpScript,
  VrrpSyncGroup,
  StaticTrackGroup,
  Family,
} from '../model/vrrp.js';
import type { Loc } from '../diagnostics.js';
import { block, list, value, type KwCtx, type ListItem, type Schema } from '../schema.js';
import { laterBfdKeywords, laterInstanceKeywords } from './later.js';
import { parseRoute, parseRule, parseVirtualIp, type RulePriorityCounter } from './vrrp-ip.js';
import { blockWords, IFNAMSIZ, intOf, isIpv6McLinkLocal, isMulticast, itemCtx, optBool, parseSockaddr, scriptFrom } from './vrrp-util.js';

const UINT_MAX = 4294967295;
const INT_MAX = 2147483647;
const MAX_TIMER_S = 4294;
/** keepalived's TIMER_MAX_SEC: the largest preempt_delay. */
const TIMER_MAX_SEC = 1000;
const BFD_INAME_MAX = 32;

const vrrpOf = (c: KwCtx): VrrpConfig => c.state.config.vrrp;

/** BFD instances dropped while their block is still being read (not added at the closing brace). */
const droppedBfd = new WeakSet<BfdInstance>();
/** BFD instances with an explicit `vrrp` or `checker` event keyword. */
const bfdEventsGiven = new WeakSet<BfdInstance>();
/** Scripts whose `timeout` was given (else it follows the interval). */
const timeoutGiven = new WeakSet<VrrpScript>();

/**
 * Every bfd_instance block read so far, valid or not: keepalived's VRRP process only reads the
 * name and weight of a bfd_instance (the BFD process validates the rest), so track_bfd finds
 * an instance that the BFD process then disables.
 */
function bfdDeclared(c: KwCtx): BfdInstance[] {
  c.state.scratch['vrrp.bfdDeclared'] ??= [];
  return c.state.scratch['vrrp.bfdDeclared'] as BfdInstance[];
}

function rulePriorities(c: KwCtx): RulePriorityCounter {
  c.state.scratch['vrrp.rulePriority'] ??= { inet: 16384, inet6: 16384 };
  return c.state.scratch['vrrp.rulePriority'] as RulePriorityCounter;
}

function trackGroupExists(c: KwCtx): (n: string) => boolean {
  return (n) => vrrpOf(c).trackGroups.some((g) => g.name === n);
}

function remove<T>(arr: T[], x: T): void {
  const i = arr.indexOf(x);
  if (i >= 0) arr.splice(i, 1);
}

// ---------------------------------------------------------------------------------------------
// Tracking lists shared by instances and sync groups

/** `IFNAME [weight N [reverse]]` entries of track_interface. */
function parseTrackInterfaces(c: KwCtx, owner: string, items: ListItem[], out: TrackedInterface[]): void {
  for (const it of items) {
    const e = itemCtx(c, it);
    const name = e.keyword;
    if (out.some((t) => t.name === name)) {
      e.error(`(${owner}) duplicate track_interface ${name} - ignoring`);
      continue;
    }
    let weight = 0;
    let reverse = false;
    if (e.n >= 1) {
      if (e.args[0] !== 'weight') {
        e.error(`(${owner}) unknown track_interface ${name} option ${e.args[0]} - ignoring: expected weight`);
        continue;
      }
      if (e.n === 1) {
        e.error(`(${owner}) weight without value specified for track_interface ${name} - ignoring`);
        continue;
      }
      const w = e.int(1, -254, 254, 'weight');
      if (w === undefined) weight = 0;
      else if (w === 254 || w === -254) {
        e.warn(`(${owner}) weight for ${name} cannot be +/-254 - setting to +/-253`);
        weight = w > 0 ? 253 : -253;
      } else weight = w;
      if (e.n >= 3) {
        if (e.args[2] === 'reverse') reverse = true;
        else e.error(`(${owner}) unknown track_interface ${name} weight option ${e.args[2]} - ignoring`);
      }
    }
    out.push({ name, weight, reverse, loc: it.loc });
  }
}

interface Trackable {
  name: string;
  weight: number;
  weightReverse: boolean;
}

/**
 * `NAME [weight N [reverse|noreverse]]` entries of track_script / track_file / track_process /
 * track_bfd, resolved against the objects defined so far.
 */
function parseTrackRefs(c: KwCtx, owner: string, items: ListItem[], out: TrackRef[], what: 'script' | 'file' | 'process' | 'bfd', defined: Trackable[]): void {
  const range = what === 'bfd' ? 253 : 254;
  for (const it of items) {
    const e = itemCtx(c, it);
    const name = e.keyword;
    const obj = defined.find((d) => d.name === name);
    if (!obj) {
      e.warn(`(${owner}) track ${what} ${name} not found, ignoring...`);
      continue;
    }
    if (out.some((t) => t.name === name)) {
      e.error(`(${owner}) duplicate track_${what} ${name} - ignoring`);
      continue;
    }
    let weight = obj.weight;
    let reverse = obj.weightReverse;
    let weightGiven = false;
    if (e.n >= 1) {
      if (e.args[0] !== 'weight') {
        e.error(`(${owner}) unknown track ${what} option ${e.args[0]} - ignoring: expected 'weight N [reverse]'`);
        continue;
      }
      if (e.n === 1) {
        e.error(`(${owner}) weight without value specified for track ${what} ${name} - ignoring`);
        continue;
      }
      const w = e.int(1, -range, range, 'weight');
      if (w !== undefined) {
        weightGiven = true;
        weight = w;
        if (what === 'script' && (w === 254 || w === -254)) {
          e.warn(`(${owner}) weight for ${name} cannot be +/-254 - setting to +/-253`);
          weight = w > 0 ? 253 : -253;
        }
      }
      if (e.n >= 3) {
        const opt = e.args[2];
        if (opt === 'reverse') reverse = true;
        else if (opt === 'noreverse' && what !== 'bfd') reverse = false;
        else {
          e.error(`(${owner}) unknown track_${what} ${name} weight option ${opt} - ignoring`);
          if (what === 'file') continue;
        }
      }
    }
    out.push({ name, weight, reverse, weightGiven, loc: it.loc });
  }
}

// ---------------------------------------------------------------------------------------------
// Notify scripts shared by instances and sync groups

type NotifyKey = keyof NotifyScripts;

function notifyKw(key: NotifyKey, label: string) {
  return value<{ name: string; notify: NotifyScripts }>((c, t) => {
    if (t.notify[key]) return c.error(`(${t.name}) ${label} script already specified - ignoring ${c.opt(0) ?? ''}`);
    const s = scriptFrom(c, { withUser: true });
    if (s) t.notify[key] = s;
  });
}

// ---------------------------------------------------------------------------------------------
// vrrp_instance

function newInstance(name: string, loc: Loc): VrrpInstance {
  return {
    name,
    loc,
    locs: {},
    dontTrackPrimary: false,
    nativeIpv6: false,
    virtualIps: [],
    excludedIps: [],
    virtualRoutes: [],
    virtualRules: [],
    trackInterfaces: [],
    trackScripts: [],
    trackFiles: [],
    trackProcesses: [],
    trackBfds: [],
    trackSrcIp: false,
    unicastPeers: [],
    unicastConfigured: false,
    unicastFaultNoPeer: false,
    checkUnicastSrc: false,
    useVmac: false,
    useVmacAddr: false,
    vmacXmitBase: false,
    useIpvlan: false,
    promoteSecondaries: false,
    linkbeatUsePolling: false,
    skipCheckAdvAddr: false,
    nopreempt: false,
    preemptDelayS: 0,
    notify: {},
    garpExtraIfAll: false,
  };
}

/** Sets the instance's family from the first address seen; false (after an error) on a mismatch. */
function sameFamily(t: VrrpInstance, f: Family): boolean {
  if (t.family === undefined) {
    t.family = f;
    return true;
  }
  return t.family === f;
}

type I = VrrpInstance;
const iv = (fn: (c: KwCtx, t: I) => void) => value<I>(fn);
const iflag = (fn: (t: I) => void) => value<I>((_c, t) => fn(t));

/** `KEYWORD [true|false]` on an instance: absent word = true. */
function iBool(set: (t: I, v: boolean) => void) {
  return value<I>((c, t) => {
    const b = optBool(c, 0, `(${t.name}) invalid ${c.keyword} ${c.opt(0)} specified: expected true|false|on|off|yes|no`);
    if (b !== undefined) set(t, b);
  });
}

function srcIp(c: KwCtx, t: I): void {
  const s = c.str(0);
  const a = parseSockaddr(s);
  if (!a) return c.error(`(${t.name}) malformed source address ${s} - skipping`);
  if (!sameFamily(t, a.family)) return c.error(`(${t.name}) source address ${s} must be of the same family as the instance - skipping`);
  t.srcIp = a.address;
}

/** garp_master_repeat / garp_master_refresh_repeat: 0 is corrected to 1. */
function iRepeat(set: (t: I, v: number) => void) {
  return iv((c, t) => {
    let v = c.int(0, 0, UINT_MAX);
    if (v === undefined) return;
    if (v === 0) {
      c.warn(`(${t.name}) ${c.keyword} must be greater than 0 - setting to 1`);
      v = 1;
    }
    set(t, v);
  });
}

const garpExtraIf = iv((c, t) => {
  if (c.keyword === 'vmac_garp_intvl') c.warn('keyword "vmac_garp_intvl" is deprecated - please use "garp_extra_if"');
  let delay: number | undefined;
  let all = false;
  for (let i = 0; i < c.n; i++) {
    if (c.args[i] === 'all') all = true;
    else {
      const v = c.int(i, 0, 86400, 'interval');
      if (v === undefined) return;
      delay = v;
    }
  }
  if (delay === undefined) return c.error(`(${t.name}) ${c.keyword} specified without a time - ignoring`);
  t.garpExtraIfS = delay;
  if (all) t.garpExtraIfAll = true;
});

/** The kernel's dev_valid_name(). */
function devNameValid(n: string): boolean {
  return n !== '' && n.length < IFNAMSIZ && n !== '.' && n !== '..' && !/[/:\s]/.test(n);
}

const useVmac = iv((c, t) => {
  t.useVmac = true;
  const v = vrrpOf(c);
  for (let i = 0; i < Math.min(c.n, 2); i++) {
    const w = c.args[i]!;
    if (w.includes(':')) {
      if (t.vmacMac !== undefined) {
        c.error(`(${t.name}) VMAC interface address already specified`);
        continue;
      }
      const octets = w.split(':');
      const valid =
        octets.every((o) => /^[0-9a-fA-F]{1,2}$/.test(o)) && (octets.length === 6 || octets.length === 5 || (octets.length === 6 && octets[5] === ''));
      if (!valid) {
        c.error(`(${t.name}) VMAC invalid MAC address ${w} - ignored`);
        continue;
      }
      const b = octets.map((o) => Number.parseInt(o, 16));
      if (b[0]! & 1) c.error(`(${t.name}) VMAC MAC address ${w} is multicast - ignoring`);
      else if (b[0] === 0 && b[1] === 0 && b[2] === 0x5e && b[3] === 0 && (b[4] === 1 || b[4] === 2)) {
        c.error(`(${t.name}) VMAC MAC address must not be an RFC 5798 address (${w}) - ignoring`);
      } else t.vmacMac = w.toLowerCase();
    } else {
      if (t.vmacName !== undefined) {
        c.error(`(${t.name}) VMAC interface name already specified`);
        continue;
      }
      if (!devNameValid(w)) {
        c.error(`(${t.name}) VMAC interface name '${w}' too long or invalid characters - ignoring`);
        continue;
      }
      const other = v.instances.find((o) => o !== t && o.vmacName === w);
      if (other) {
        c.error(`(${t.name}) VRRP instance ${other.name} is already using ${w} - ignoring the name`);
        continue;
      }
      t.vmacName = w;
    }
  }
});

const useIpvlan = iv((c, t) => {
  if (t.useIpvlan) return c.error(`(${t.name}) use_ipvlan already specified`);
  t.useIpvlan = true;
  const ipv: NonNullable<I['ipvlan']> = {};
  t.ipvlan = ipv;
  let haveType = false;
  for (const w of c.args) {
    if (w === 'bridge' || w === 'private' || w === 'vepa') {
      if (haveType) c.error(`(${t.name}) ipvlan type already specified - ignoring '${w}'`);
      else {
        ipv.type = w;
        haveType = true;
      }
      continue;
    }
    if ((w.includes('.') || w.includes(':')) && parseSockaddr(w)) {
      const a = parseSockaddr(w)!;
      if (ipv.address !== undefined) {
        c.error(`(${t.name}) ipvlan address already specified - ignoring '${w}'`);
        continue;
      }
      if (!sameFamily(t, a.family)) {
        c.error(`(${t.name}) ipvlan address [${w}] must match the vrrp instance family - skipping`);
        continue;
      }
      ipv.address = a.address;
      const len = /\/(\d+)$/.exec(w);
      if (len) ipv.prefixLen = Number(len[1]);
      t.srcIp ??= a.address;
      continue;
    }
    if (ipv.name !== undefined) {
      c.error(`(${t.name}) IPVLAN interface already specified - ignoring '${w}'`);
      continue;
    }
    if (w.length >= IFNAMSIZ) {
      c.error(`(${t.name}) IPVLAN interface name '${w}' too long - ignoring`);
      continue;
    }
    ipv.name = w;
  }
});

const authKeywords: Schema = {
  auth_type: value<{ inst: I; auth: NonNullable<I['authentication']> }>((c, a) => {
    const s = c.str(0);
    if (s === 'AH' || s === 'PASS') a.auth.type = s;
    else c.error(`(${a.inst.name}) unknown authentication type '${s}': expected PASS or AH`);
  }),
  auth_pass: value<{ inst: I; auth: NonNullable<I['authentication']> }>((c, a) => {
    let s = c.str(0);
    if (s.length > 8) {
      c.warn(`(${a.inst.name}) Truncating auth_pass to 8 characters (was ${s.length})`);
      s = s.slice(0, 8);
    }
    a.auth.pass = s;
  }),
};

const instanceKeywords: Schema = {
  use_vmac: useVmac,
  use_vmac_addr: iflag((t) => (t.useVmacAddr = true)),
  vmac_xmit_base: iflag((t) => (t.vmacXmitBase = true)),
  use_ipvlan: useIpvlan,
  unicast_peer: list<I>((c, t, items) => {
    t.unicastConfigured = true;
    for (const it of items) {
      const e = itemCtx(c, it);
      const a = parseSockaddr(e.keyword);
      if (!a) {
        e.error(`(${t.name}) malformed unicast peer address ${e.keyword} - skipping`);
        continue;
      }
      if (!sameFamily(t, a.family)) {
        e.error(`(${t.name}) unicast peer address ${e.keyword} must be of the same family as the instance - skipping`);
        continue;
      }
      const peer = { address: a.address, family: a.family, minTtl: 0, maxTtl: 255, loc: it.loc };
      for (let i = 0; i < e.n; i += 2) {
        if (i + 1 >= e.n) {
          e.error(`(${t.name}) ${e.args[i]} is missing a value`);
          break;
        }
        const v = intOf(e.args[i + 1]);
        if (v === undefined || v < 0 || v > 255) {
          e.error(`(${t.name}) invalid ${e.args[i]} value '${e.args[i + 1]}': expected a number in [0, 255]`);
          continue;
        }
        if (e.args[i] === 'min_ttl') peer.minTtl = v;
        else if (e.args[i] === 'max_ttl') peer.maxTtl = v;
        else {
          e.error(`(${t.name}) unknown unicast_peer option ${e.args[i]}: expected min_ttl or max_ttl`);
          break;
        }
        t.checkUnicastSrc = true;
      }
      if (peer.minTtl > peer.maxTtl) e.error(`(${t.name}) min_ttl ${peer.minTtl} > max_ttl ${peer.maxTtl} - all packets will be discarded`);
      t.unicastPeers.push(peer);
    }
  }),
  unicast_fault_no_peer: iflag((t) => {
    t.unicastConfigured = true;
    t.unicastFaultNoPeer = true;
  }),
  check_unicast_src: iflag((t) => {
    t.unicastConfigured = true;
    t.checkUnicastSrc = true;
  }),
  old_unicast_checksum: iv((c, t) => {
    t.unicastConfigured = true;
    const w = c.opt(0);
    if (w === undefined) t.oldUnicastChecksum = 'config';
    else if (w === 'never') t.oldUnicastChecksum = 'never';
    else c.error(`(${t.name}) unknown old_unicast_checksum mode ${w} - ignoring: expected never or nothing`);
  }),
  native_ipv6: iv((c, t) => {
    if (t.family === 'inet') return c.error(`(${t.name}) cannot specify native_ipv6 with IPv4 addresses`);
    t.family = 'inet6';
    t.nativeIpv6 = true;
    t.version = 3;
  }),
  state: iv((c, t) => {
    const s = c.str(0);
    if (s === 'MASTER') t.state = 'MASTER';
    else if (s === 'BACKUP') {
      if (t.state === 'MASTER') c.error(`(${t.name}) state previously set as MASTER - ignoring BACKUP`);
      else t.state = 'BACKUP';
    } else {
      c.error(`(${t.name}) unknown state '${s}', defaulting to BACKUP: expected MASTER or BACKUP`);
      t.state = 'BACKUP';
    }
  }),
  interface: iv((c, t) => {
    const n = c.str(0);
    if (n.length >= IFNAMSIZ) return c.error(`interface name '${n}' too long - ignoring`);
    t.interface = n;
  }),
  vrf: iv((c, t) => {
    const n = c.str(0);
    if (n.length >= IFNAMSIZ) return c.error(`(${t.name}) VRF interface name '${n}' too long - ignoring`);
    if (t.interface !== undefined) return c.error(`(${t.name}) cannot specify both a VRF interface and an interface - ignoring the VRF`);
    if (t.vrf !== undefined) return c.error(`(${t.name}) VRF interface already specified as '${t.vrf}' - ignoring`);
    t.vrf = n;
  }),
  dont_track_primary: iflag((t) => (t.dontTrackPrimary = true)),
  track_interface: list<I>((c, t, items) => parseTrackInterfaces(c, t.name, items, t.trackInterfaces)),
  track_script: list<I>((c, t, items) => parseTrackRefs(c, t.name, items, t.trackScripts, 'script', vrrpOf(c).scripts)),
  track_file: list<I>((c, t, items) => parseTrackRefs(c, t.name, items, t.trackFiles, 'file', vrrpOf(c).trackFiles)),
  track_process: list<I>((c, t, items) => parseTrackRefs(c, t.name, items, t.trackProcesses, 'process', vrrpOf(c).trackProcesses)),
  track_bfd: list<I>((c, t, items) => parseTrackRefs(c, t.name, items, t.trackBfds, 'bfd', bfdDeclared(c))),
  mcast_src_ip: iv(srcIp),
  unicast_src_ip: iv((c, t) => {
    t.unicastConfigured = true;
    srcIp(c, t);
  }),
  mcast_dst_ip: iv((c, t) => {
    const s = c.str(0);
    const a = parseSockaddr(s);
    if (!a) return c.error(`(${t.name}) malformed mcast destination address ${s} - skipping`);
    if (!sameFamily(t, a.family)) return c.error(`(${t.name}) mcast destination address ${s} must match the VRRP instance family - skipping`);
    const ok = a.family === 'inet' ? isMulticast(a.address, 'inet') : isIpv6McLinkLocal(a.address);
    if (!ok) return c.error(`(${t.name}) mcast_dst_ip ${s} is not${a.family === 'inet6' ? ' link-local' : ''} multicast - skipping`);
    t.mcastDstIp = a.address;
  }),
  track_src_ip: iflag((t) => (t.trackSrcIp = true)),
  virtual_router_id: iv((c, t) => {
    const v = c.int(0, 1, 255, 'virtual router id');
    if (v !== undefined) t.virtualRouterId = v;
  }),
  unicast_ttl: iv((c, t) => {
    const v = c.int(0, 0, 255, 'TTL');
    if (v !== undefined) t.unicastTtl = v;
  }),
  version: iv((c, t) => {
    const v = c.int(0, 2, 3, 'version');
    if (v === undefined) return;
    if ((t.version !== undefined && t.version !== v) || (v === 2 && t.family === 'inet6')) {
      return c.error(`(${t.name}) version ${v} conflicts with the configured or deduced version ${t.version ?? 3} - ignoring`);
    }
    t.version = v as 2 | 3;
  }),
  priority: iv((c, t) => {
    const v = c.int(0, 1, 255, 'priority');
    t.priority = v ?? 100;
  }),
  advert_int: iv((c, t) => {
    const v = c.decimal(0, 0.01, 255, 'advert interval');
    if (v !== undefined) t.advertIntS = Math.round(v * 1e6) / 1e6;
  }),
  virtual_ipaddress: list<I>((c, t, items) => {
    for (const it of items) {
      const vip = parseVirtualIp(itemCtx(c, it), false, trackGroupExists(c));
      if (!vip) continue;
      if (!sameFamily(t, vip.family)) {
        c.diag.error(`(${t.name}) the address family of ${it.tokens[0]} must match the VRRP instance - ignoring it`, it.loc);
        continue;
      }
      t.virtualIps.push(vip);
    }
  }),
  virtual_ipaddress_excluded: list<I>((c, t, items) => {
    for (const it of items) {
      const vip = parseVirtualIp(itemCtx(c, it), false, trackGroupExists(c));
      if (vip) t.excludedIps.push(vip);
    }
  }),
  promote_secondaries: iflag((t) => (t.promoteSecondaries = true)),
  linkbeat_use_polling: iv((c, t) => {
    t.linkbeatUsePolling = true;
    c.warn(`(${t.name}) 'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block`);
  }),
  virtual_routes: list<I>((c, t, items) => {
    for (const it of items) {
      const r = parseRoute(itemCtx(c, it), false, trackGroupExists(c));
      if (r) t.virtualRoutes.push(r);
    }
  }),
  virtual_rules: list<I>((c, t, items) => {
    for (const it of items) {
      const r = parseRule(itemCtx(c, it), false, rulePriorities(c), trackGroupExists(c));
      if (r) t.virtualRules.push(r);
    }
  }),
  accept: iflag((t) => (t.accept = true)),
  no_accept: iflag((t) => (t.accept = false)),
  skip_check_adv_addr: iBool((t, v) => (t.skipCheckAdvAddr = v || t.skipCheckAdvAddr)),
  strict_mode: iBool((t, v) => (t.strictMode = v)),
  preempt: iflag((t) => (t.nopreempt = false)),
  nopreempt: iflag((t) => (t.nopreempt = true)),
  preempt_delay: iv((c, t) => {
    const v = c.decimal(0, 0, TIMER_MAX_SEC, 'preempt delay');
    t.preemptDelayS = v ?? 0;
  }),
  debug: iv((c, t) => {
    const v = c.int(0, 0, 4, 'debug level');
    if (v !== undefined) t.debug = v;
  }),
  notify_backup: notifyKw('backup', 'notify_backup'),
  notify_master: notifyKw('master', 'notify_master'),
  notify_fault: notifyKw('fault', 'notify_fault'),
  notify_stop: notifyKw('stop', 'notify_stop'),
  notify_deleted: iv((c, t) => {
    if (t.notify.deleted || c.state.scratch['vrrp.notifyDeleted.' + t.name]) {
      return c.error(`(${t.name}) notify_deleted already specified - ignoring ${c.opt(0) ?? ''}`);
    }
    c.state.scratch['vrrp.notifyDeleted.' + t.name] = true;
    if (c.n >= 1) {
      const s = scriptFrom(c, { withUser: true });
      if (s) t.notify.deleted = s;
    }
  }),
  notify: notifyKw('generic', 'notify'),
  notify_master_rx_lower_pri: notifyKw('masterRxLowerPri', 'notify_master_rx_lower_pri'),
  smtp_alert: iv((c, t) => {
    const b = optBool(c, 0, `(${t.name}) invalid smtp_alert parameter ${c.opt(0)}: expected true|false|on|off|yes|no`);
    if (b !== undefined) t.smtpAlert = b;
  }),
  notify_priority_changes: iBool((t, v) => (t.notifyPriorityChanges = v)),
  lvs_sync_daemon_interface: iv((c, t) => {
    c.warn(`(${t.name}) specifying lvs_sync_daemon_interface against a vrrp instance is deprecated - please use the global lvs_sync_daemon`);
    const g = c.state.config.global;
    const ifname = c.str(0);
    if (g.lvsSyncDaemon) return c.error(`(${t.name}) lvs_sync_daemon_interface has already been specified as ${g.lvsSyncDaemon.interface} - ignoring`);
    g.lvsSyncDaemon = { interface: ifname, vrrpInstance: t.name, loc: c.loc };
  }),
  garp_master_delay: iv((c, t) => {
    const v = c.int(0, 0, MAX_TIMER_S, 'delay');
    if (v !== undefined) t.garpMasterDelayS = v;
  }),
  garp_master_refresh: iv((c, t) => {
    const v = c.int(0, 0, UINT_MAX, 'refresh');
    t.garpMasterRefreshS = v ?? 0;
  }),
  garp_master_repeat: iRepeat((t, v) => (t.garpMasterRepeat = v)),
  garp_master_refresh_repeat: iRepeat((t, v) => (t.garpMasterRefreshRepeat = v)),
  garp_lower_prio_delay: iv((c, t) => {
    const v = c.int(0, 0, MAX_TIMER_S, 'delay');
    if (v !== undefined) t.garpLowerPrioDelayS = v;
  }),
  garp_lower_prio_repeat: iv((c, t) => {
    const v = c.int(0, 0, INT_MAX, 'repeat');
    if (v !== undefined) t.garpLowerPrioRepeat = v;
  }),
  down_timer_adverts: iv((c, t) => {
    const v = c.int(0, 1, 100);
    if (v !== undefined) t.downTimerAdverts = v;
  }),
  garp_extra_if: garpExtraIf,
  vmac_garp_intvl: garpExtraIf,
  lower_prio_no_advert: iBool((t, v) => (t.lowerPrioNoAdvert = v)),
  higher_prio_send_advert: iBool((t, v) => (t.higherPrioSendAdvert = v)),
  kernel_rx_buf_size: iv((c, t) => {
    const v = c.n === 1 ? intOf(c.args[0]) : undefined;
    if (v === undefined || v < 0 || v > UINT_MAX) return c.error(`(${t.name}) invalid kernel_rx_buf_size specified: expected one number`);
    t.kernelRxBufSize = v;
  }),
  authentication: block<I, { inst: I; auth: NonNullable<I['authentication']> }>(authKeywords, (c, t) => {
    t.authentication ??= { loc: c.loc };
    return { inst: t, auth: t.authentication };
  }),
  ...laterInstanceKeywords,
};

// Every instance keyword records where it was given (instance.locs), for later messages.
for (const [kw, def] of Object.entries(instanceKeywords)) {
  if (def.type === 'value') {
    const fn = def.fn;
    def.fn = (c, t: I) => {
      t.locs[kw] = c.loc;
      fn(c, t);
    };
  } else if (def.type === 'list') {
    const fn = def.fn;
    def.fn = (c, t: I, items) => {
      t.locs[kw] = c.loc;
      fn(c, t, items);
    };
  }
}

// ---------------------------------------------------------------------------------------------
// vrrp_sync_group

type G = VrrpSyncGroup;

const syncGroupKeywords: Schema = {
  group: list<G>((c, g, items) => {
    if (g.members !== undefined) return c.error(`group list already specified for sync group ${g.name} - ignoring`);
    const w = blockWords(items);
    if (w.length === 0) return c.warn(`Warning - sync group ${g.name} has an empty group block`);
    g.members = w;
  }),
  track_interface: list<G>((c, g, items) => parseTrackInterfaces(c, g.name, items, g.trackInterfaces)),
  track_script: list<G>((c, g, items) => parseTrackRefs(c, g.name, items, g.trackScripts, 'script', vrrpOf(c).scripts)),
  track_file: list<G>((c, g, items) => parseTrackRefs(c, g.name, items, g.trackFiles, 'file', vrrpOf(c).trackFiles)),
  track_process: list<G>((c, g, items) => parseTrackRefs(c, g.name, items, g.trackProcesses, 'process', vrrpOf(c).trackProcesses)),
  track_bfd: list<G>((c, g, items) => parseTrackRefs(c, g.name, items, g.trackBfds, 'bfd', bfdDeclared(c))),
  notify_backup: notifyKw('backup', 'notify_backup'),
  notify_master: notifyKw('master', 'notify_master'),
  notify_fault: notifyKw('fault', 'notify_fault'),
  notify_stop: notifyKw('stop', 'notify_stop'),
  notify: notifyKw('generic', 'notify'),
  smtp_alert: value<G>((c, g) => {
    const b = optBool(c, 0, `(${g.name}) invalid sync group smtp_alert parameter ${c.opt(0)}: expected true|false|on|off|yes|no`);
    if (b !== undefined) g.smtpAlert = b;
  }),
  global_tracking: value<G>((c, g) => {
    c.warn(`(${g.name}) global_tracking is deprecated - use track_interface/script/file on the sync group`);
    g.trackingWeight = true;
  }),
  sync_group_tracking_weight: value<G>((_c, g) => {
    g.trackingWeight = true;
  }),
  notify_priority_changes: value<G>((c, g) => {
    const b = optBool(c, 0, `(${g.name}) invalid value '${c.opt(0)}' for sync group notify_priority_changes`);
    if (b !== undefined) g.notifyPriorityChanges = b;
  }),
};

// ---------------------------------------------------------------------------------------------
// vrrp_script

type S = VrrpScript;

const scriptKeywords: Schema = {
  script: value<S>((c, s) => {
    // keepalived takes the first word (quote a command with arguments) and ignores the rest.
    const sc = scriptFrom(c, { withUser: false });
    if (!sc) return;
    if (c.n > 1) c.info(`vrrp_script ${s.name}: words after the script '${c.args[0]}' are ignored - quote the whole command line`);
    s.script = sc;
  }),
  interval: value<S>((c, s) => {
    let v = c.int(0, 0, MAX_TIMER_S, 'interval');
    if (v === undefined) return;
    if (v === 0) {
      c.warn(`(${s.name}) vrrp script interval must be greater than 0 - setting to 1`);
      v = 1;
    }
    s.intervalS = v;
  }),
  timeout: value<S>((c, s) => {
    let v = c.int(0, 0, MAX_TIMER_S, 'timeout');
    if (v === undefined) return;
    if (v === 0) {
      c.warn(`(${s.name}) vrrp script timeout must be greater than 0 - setting to 1`);
      v = 1;
    }
    s.timeoutS = v;
    timeoutGiven.add(s);
  }),
  weight: value<S>((c, s) => {
    const v = c.int(0, -253, 253, 'weight');
    if (v !== undefined) s.weight = v;
    const opt = c.opt(1);
    if (opt !== undefined) {
      if (opt === 'reverse') s.weightReverse = true;
      else c.error(`vrrp_script ${s.name} unknown weight option ${opt}: expected reverse`);
    }
  }),
  rise: value<S>((c, s) => {
    s.rise = c.int(0, 1, INT_MAX, 'rise') ?? 1;
  }),
  fall: value<S>((c, s) => {
    s.fall = c.int(0, 1, INT_MAX, 'fall') ?? 1;
  }),
  user: value<S>((c, s) => {
    s.user = c.str(0);
    if (c.opt(1) !== undefined) s.group = c.args[1]!;
  }),
  init_fail: value<S>((_c, s) => {
    s.initFail = true;
  }),
};

// ---------------------------------------------------------------------------------------------
// vrrp_track_process

type P = TrackProcess;

function processDelay(which: 'both' | 'terminate' | 'fork') {
  return value<P>((c, p) => {
    const v = c.decimal(0, 0.000001, 3600, 'delay');
    if (v === undefined) return;
    if (which !== 'fork') p.terminateDelayS = v;
    if (which !== 'terminate') p.forkDelayS = v;
  });
}

const processKeywords: Schema = {
  process: value<P>((c, p) => {
    const name = c.str(0);
    if (p.process !== undefined) return c.error(`process already set for track process ${p.name} - ignoring ${name}`);
    p.process = name;
    if (c.n > 1) {
      p.params = c.args.slice(1);
      if (p.paramMatch === 'none') p.paramMatch = 'exact';
      p.fullCommand = true;
    }
  }),
  param_match: value<P>((c, p) => {
    const w = c.opt(0);
    if (w === undefined) p.paramMatch = 'exact';
    else if (w === 'initial' || w === 'partial') p.paramMatch = w;
    else return c.error(`invalid param_match type ${w} - ignoring: expected initial, partial or nothing`);
    p.fullCommand = true;
  }),
  weight: value<P>((c, p) => {
    if (c.n < 1) return c.error(`no weight specified for track process ${p.name} - ignoring`);
    if (p.weight) return c.error(`weight already set for track process ${p.name} - ignoring ${c.args[0]}`);
    const v = c.int(0, -254, 254, 'weight');
    if (v === undefined) return;
    const opt = c.opt(1);
    if (opt !== undefined) {
      if (opt === 'reverse') p.weightReverse = true;
      else c.error(`vrrp_track_process ${p.name} unknown weight option ${opt}: expected reverse`);
    }
    p.weight = v;
  }),
  quorum: value<P>((c, p) => {
    const v = c.int(0, 1, 65535, 'quorum');
    if (v === undefined) return;
    if (v > p.quorumMax) return c.error(`quorum ${v} is greater than quorum_max ${p.quorumMax} - ignoring`);
    p.quorum = v;
  }),
  quorum_max: value<P>((c, p) => {
    const v = c.int(0, 0, 65535, 'quorum_max');
    if (v === undefined) return;
    if ((v || p.quorum > 1) && v < p.quorum) return c.error(`quorum_max ${v} is less than quorum ${p.quorum} - ignoring`);
    p.quorumMax = v;
    if (v === 0) p.quorum = 0;
    else if (!p.quorum) p.quorum = 1;
  }),
  delay: processDelay('both'),
  terminate_delay: processDelay('terminate'),
  fork_delay: processDelay('fork'),
  full_command: value<P>((_c, p) => {
    p.fullCommand = true;
  }),
};

// ---------------------------------------------------------------------------------------------
// track_file

type F = TrackFile;

const trackFileKeywords: Schema = {
  file: value<F>((c, f) => {
    if (c.n < 1) return c.error('track file file name missing');
    if (f.file !== undefined) return c.error(`file already set for track file ${f.name} - ignoring ${c.args[0]}`);
    f.file = c.args[0]!;
  }),
  weight: value<F>((c, f) => {
    if (c.n < 1) return c.error(`no weight specified for track file ${f.name} - ignoring`);
    if (f.weight !== 1) return c.error(`weight already set for track file ${f.name} - ignoring ${c.args[0]}`);
    f.weight = c.int(0, -254, 254, 'weight') ?? 1;
    const opt = c.opt(1);
    if (opt !== undefined) {
      if (opt === 'reverse') f.weightReverse = true;
      else c.error(`track_file ${f.name} unknown weight option ${opt}: expected reverse`);
    }
  }),
  init_file: value<F>((c, f) => {
    const init = { value: 0, overwrite: false };
    for (let i = 0; i < c.n; i++) {
      const w = c.args[i]!.trim();
      if (/^[-\d]/.test(w)) {
        const v = intOf(w);
        if (v === undefined || v < -INT_MAX - 1 || v > INT_MAX) {
          c.error(`track file ${f.name} init value ${w} is invalid`);
          init.value = 0;
        } else {
          if (v < -254 || v > 254) c.error(`track file ${f.name} init value ${v} is outside the sensible range [-254, 254]`);
          init.value = v;
        }
      } else if (w === 'overwrite') init.overwrite = true;
      else c.error(`unknown track file init option ${w}: expected a value or overwrite`);
    }
    f.init = init;
  }),
};

function trackFileBlock(deprecated: boolean) {
  return block<unknown, F>(
    trackFileKeywords,
    (c) => {
      const name = c.str(0);
      if (deprecated) c.info('"vrrp_track_file" is deprecated, please use "track_file"');
      const f: F = { name, weight: 1, weightReverse: false, loc: c.loc };
      return f;
    },
    (c, f) => {
      if (f.file === undefined) {
        c.error(`no file set for track_file ${f.name} - ignoring it`);
        return;
      }
      vrrpOf(c).trackFiles.push(f);
    },
  );
}

// ---------------------------------------------------------------------------------------------
// bfd_instance

type B = BfdInstance;

function bfdInterval(field: 'minRxMs' | 'minTxMs' | 'idleTxMs', min: number) {
  return value<B>((c, b) => {
    const v = c.decimal(0, min, 4294967, 'interval (ms)');
    if (v === undefined) return;
    b[field] = v;
    if (v > 10000) c.info(`BFD instance ${b.name} ${c.keyword} value ${c.args[0]} is larger than the maximum sensible (10000)`);
  });
}

const bfdKeywords: Schema = {
  source_ip: value<B>((c, b) => {
    const s = c.str(0);
    const a = parseSockaddr(s);
    if (!a) return c.error(`BFD instance ${b.name} has a malformed source address ${s} - ignoring it`);
    b.sourceIp = a.address;
  }),
  neighbor_ip: value<B>((c, b) => {
    const s = c.str(0);
    const a = parseSockaddr(s);
    if (!a) {
      c.error(`BFD instance ${b.name} has a malformed ${c.keyword === 'neighbour_ip' ? 'neighbour' : 'neighbor'} address ${s} - ignoring the instance`);
      droppedBfd.add(b);
      return;
    }
    b.neighborIp = a.address;
    b.family = a.family;
  }),
  min_rx: bfdInterval('minRxMs', 1),
  min_tx: bfdInterval('minTxMs', 1),
  idle_tx: bfdInterval('idleTxMs', 1000),
  multiplier: value<B>((c, b) => {
    const v = c.int(0, 1, 255, 'multiplier');
    if (v !== undefined) b.multiplier = v;
  }),
  passive: value<B>((_c, b) => {
    b.passive = true;
  }),
  ttl: value<B>((c, b) => {
    const v = c.int(0, 1, 255, 'ttl/hoplimit');
    if (v !== undefined) b.ttl = v;
  }),
  max_hops: value<B>((c, b) => {
    const v = c.int(0, -1, 255, 'max_hops');
    if (v !== undefined) b.maxHops = v;
  }),
  weight: value<B>((c, b) => {
    const v = c.int(0, -253, 253, 'weight');
    if (v !== undefined) b.weight = v;
    const opt = c.opt(1);
    if (opt !== undefined) {
      if (opt === 'reverse') b.weightReverse = true;
      else c.error(`BFD instance ${b.name} unknown weight option ${opt}: expected reverse`);
    }
  }),
  vrrp: value<B>((_c, b) => {
    bfdEventsGiven.add(b);
    b.vrrp = true;
  }),
  checker: value<B>((_c, b) => {
    bfdEventsGiven.add(b);
    b.checker = true;
  }),
  ...laterBfdKeywords,
};
bfdKeywords['neighbour_ip'] = bfdKeywords['neighbor_ip']!;
bfdKeywords['hoplimit'] = bfdKeywords['ttl']!;

// ---------------------------------------------------------------------------------------------
// garp_group

type GG = GarpGroup;

function garpGroupInterval(field: 'garpIntervalS' | 'gnaIntervalS') {
  return value<GG>((c, g) => {
    const v = c.decimal(0, 0, 2147.483647, 'interval');
    if (v === undefined) return;
    g[field] = v;
    if (v >= 1) c.info(`the ${c.keyword} is very large - ${c.args[0]} seconds`);
  });
}

function garpGroupAdd(c: KwCtx, g: GG, name: string, loc: Loc): void {
  const taken = vrrpOf(c).garpGroups.some((o) => o.interfaces.includes(name)) || g.interfaces.includes(name);
  if (taken) return c.diag.error(`garp_group already specified for ${name} - ignoring`, loc);
  g.interfaces.push(name);
  c.state.scratch['vrrp.garpIfLoc'] ??= new Map<string, Loc>();
  (c.state.scratch['vrrp.garpIfLoc'] as Map<string, Loc>).set(name, loc);
}

const garpGroupKeywords: Schema = {
  garp_interval: garpGroupInterval('garpIntervalS'),
  gna_interval: garpGroupInterval('gnaIntervalS'),
  interface: value<GG>((c, g) => garpGroupAdd(c, g, c.str(0), c.loc)),
  interfaces: list<GG>((c, g, items) => {
    if (items.length === 0) return c.warn('Warning - empty garp_group interfaces block');
    for (const it of items) for (const w of it.tokens) garpGroupAdd(c, g, w, it.loc);
  }),
};

// ---------------------------------------------------------------------------------------------
// Root keywords

export const vrrpRootKeywords: Schema = {
  track_group: block<unknown, StaticTrackGroup>(
    {
      group: list<StaticTrackGroup>((c, g, items) => {
        if (g.members !== undefined) return c.error(`group list already specified for track group ${g.name} - ignoring`);
        const w = blockWords(items);
        if (w.length === 0) return c.warn(`Warning - track group ${g.name} has an empty group block`);
        g.members = w;
      }),
    },
    (c) => {
      if (c.n !== 1) {
        c.error('track_group must have a name - skipping');
        return null;
      }
      const v = vrrpOf(c);
      if (v.trackGroups.some((g) => g.name === c.args[0])) {
        c.error(`track_group ${c.args[0]} already defined - skipping`);
        return null;
      }
      const g: StaticTrackGroup = { name: c.args[0]!, loc: c.loc };
      v.trackGroups.push(g);
      return g;
    },
  ),
  static_ipaddress: list((c, _t, items) => {
    for (const it of items) {
      const a = parseVirtualIp(itemCtx(c, it), true, trackGroupExists(c));
      if (a) vrrpOf(c).staticAddresses.push(a);
    }
  }),
  static_routes: list((c, _t, items) => {
    for (const it of items) {
      const r = parseRoute(itemCtx(c, it), true, trackGroupExists(c));
      if (r) vrrpOf(c).staticRoutes.push(r);
    }
  }),
  static_rules: list((c, _t, items) => {
    for (const it of items) {
      const r = parseRule(itemCtx(c, it), true, rulePriorities(c), trackGroupExists(c));
      if (r) vrrpOf(c).staticRules.push(r);
    }
  }),
  vrrp_sync_group: block<unknown, G>(syncGroupKeywords, (c) => {
    if (c.n !== 1) {
      c.error('vrrp_sync_group must have a name - skipping');
      return null;
    }
    const v = vrrpOf(c);
    if (v.syncGroups.some((g) => g.name === c.args[0])) {
      c.error(`vrrp sync group ${c.args[0]} already defined - skipping`);
      return null;
    }
    const g: G = {
      name: c.args[0]!,
      trackInterfaces: [],
      trackScripts: [],
      trackFiles: [],
      trackProcesses: [],
      trackBfds: [],
      notify: {},
      trackingWeight: false,
      loc: c.loc,
    };
    v.syncGroups.push(g);
    return g;
  }),
  garp_group: block<unknown, GG>(
    garpGroupKeywords,
    (c) => {
      const g: GG = { interfaces: [], loc: c.loc };
      vrrpOf(c).garpGroups.push(g);
      return g;
    },
    (c, g) => {
      if (g.garpIntervalS === undefined && g.gnaIntervalS === undefined) {
        const v = vrrpOf(c);
        c.error(`garp group ${v.garpGroups.indexOf(g) + 1} does not have any delay set (garp_interval or gna_interval) - removing it`);
        remove(v.garpGroups, g);
      }
    },
  ),
  linkbeat_interfaces: list((c, _t, items) => {
    for (const it of items) {
      const e = itemCtx(c, it);
      const lb: VrrpConfig['linkbeatInterfaces'][number] = { name: e.keyword, loc: it.loc };
      if (e.n >= 1) {
        const ty = e.args[0]!;
        if (ty === 'MII' || ty === 'ETHTOOL' || ty === 'IOCTL') lb.type = ty;
        if (lb.type === undefined || e.n > 1) e.error(`extra characters ${ty} in linkbeat interface: expected MII, ETHTOOL or IOCTL`);
      }
      vrrpOf(c).linkbeatInterfaces.push(lb);
    }
  }),
  vrrp_instance: block<unknown, I>(
    instanceKeywords,
    (c) => {
      if (c.n !== 1) {
        c.error('vrrp_instance must have a name');
        return null;
      }
      const v = vrrpOf(c);
      if (v.instances.some((i) => i.name === c.args[0])) {
        c.error(`vrrp instance ${c.args[0]} already defined`);
        return null;
      }
      const inst = newInstance(c.args[0]!, c.loc);
      v.instances.push(inst);
      return inst;
    },
    (c, t) => {
      // keepalived's vrrp_end_handler()
      const at = t.loc;
      if (t.unicastConfigured && (t.useVmac || t.useIpvlan)) {
        if (t.interface === undefined) {
          c.diag.error(`(${t.name}) cannot use VMAC/ipvlan with unicast and no interface - clearing use_vmac`, at);
          t.useVmac = false;
          t.useIpvlan = false;
          delete t.vmacName;
        } else if (!t.vmacXmitBase) {
          c.diag.warn(`(${t.name}) unicast with use_vmac requires vmac_xmit_base - setting it`, at);
          t.vmacXmitBase = true;
        }
      }
      if (t.unicastPeers.length === 0 && t.unicastTtl !== undefined) {
        c.diag.error(`(${t.name}) cannot use unicast_ttl without unicast peers - resetting`, at);
        delete t.unicastTtl;
      }
      if (t.interface === undefined) t.linkbeatUsePolling = false;
    },
  ),
  vrrp_script: block<unknown, S>(
    scriptKeywords,
    (c) => {
      const name = c.str(0);
      const s: S = { name, intervalS: 1, timeoutS: 0, weight: 0, weightReverse: false, rise: 1, fall: 1, initFail: false, loc: c.loc };
      return s;
    },
    (c, s) => {
      if (s.script === undefined) {
        c.diag.error(`No script set for vrrp_script ${s.name} - removing`, s.loc);
        return;
      }
      if (!timeoutGiven.has(s)) s.timeoutS = s.intervalS;
      vrrpOf(c).scripts.push(s);
    },
  ),
  vrrp_track_process: block<unknown, P>(
    processKeywords,
    (c) => ({
      name: c.str(0),
      params: [],
      paramMatch: 'none',
      weight: 0,
      weightReverse: false,
      quorum: 1,
      quorumMax: UINT_MAX,
      fullCommand: false,
      loc: c.loc,
    }),
    (c, p) => {
      if (p.process === undefined) {
        c.diag.error(`track process '${p.name}' process name not specified - ignoring it`, p.loc);
        return;
      }
      vrrpOf(c).trackProcesses.push(p);
    },
  ),
  track_file: trackFileBlock(false),
  vrrp_track_file: trackFileBlock(true),
  bfd_instance: block<unknown, B>(
    bfdKeywords,
    (c) => {
      const name = c.str(0);
      if (name.length >= BFD_INAME_MAX) {
        c.error(`BFD name ${name} too long (at most ${BFD_INAME_MAX - 1} characters)`);
        return null;
      }
      if (bfdDeclared(c).some((b) => b.name === name)) {
        c.error(`BFD ${name} already specified`);
        return null;
      }
      const b: B = {
        name,
        minRxMs: 10,
        minTxMs: 10,
        idleTxMs: 1000,
        multiplier: 5,
        passive: false,
        maxHops: 0,
        weight: 0,
        weightReverse: false,
        vrrp: false,
        checker: false,
        loc: c.loc,
      };
      bfdDeclared(c).push(b);
      return b;
    },
    (c, b) => {
      const nb = 'neighbor';
      if (droppedBfd.has(b)) return;
      if (b.neighborIp === undefined) {
        c.diag.error(`BFD instance ${b.name} has no ${nb} address set - disabling the instance`, b.loc);
        return;
      }
      const srcFamily = b.sourceIp === undefined ? undefined : parseSockaddr(b.sourceIp)!.family;
      if (srcFamily !== undefined && srcFamily !== b.family) {
        c.diag.error(
          `BFD instance ${b.name} source address ${b.sourceIp} and ${nb} address ${b.neighborIp} are not of the same family - disabling the instance`,
          b.loc,
        );
        return;
      }
      const dup = vrrpOf(c).bfdInstances.find((o) => o.neighborIp === b.neighborIp && o.sourceIp === b.sourceIp);
      if (dup) {
        const what = b.sourceIp !== undefined ? `source/${nb} address ${b.sourceIp}/${b.neighborIp}` : `${nb} address ${b.neighborIp}`;
        c.diag.error(`BFD instance ${b.name} has a duplicate ${what} - ignoring the instance`, b.loc);
        return;
      }
      b.ttl ??= b.family === 'inet6' ? 64 : 255;
      if (b.maxHops > b.ttl) {
        c.diag.error(`BFD instance ${b.name}: max_hops exceeds ttl/hoplimit - setting it to ${b.ttl}`, b.loc);
        b.maxHops = b.ttl;
      }
      if (!bfdEventsGiven.has(b)) {
        b.vrrp = true;
        b.checker = true;
      }
      vrrpOf(c).bfdInstances.push(b);
    },
  ),
  interface_up_down_delays: list((c, _t, items) => {
    for (const it of items) {
      const e = itemCtx(c, it);
      const name = e.keyword;
      if (e.n < 1) {
        e.info(`no timeouts specified for ${name} up/down delays`);
        continue;
      }
      if (e.n > 2) e.info(`too many parameters for ${name} up/down delays`);
      const parse = (s: string): number | undefined => (/^(\d+(\.\d{0,6})?|\.\d{1,6})$/.test(s) && Number(s) <= 255 ? Number(s) : undefined);
      const down = parse(e.args[0]!);
      if (down === undefined) {
        e.info(`invalid down delay ${e.args[0]} for ${name}: expected 0 to 255 seconds`);
        continue;
      }
      let up = 0;
      if (e.n >= 2) {
        const u = parse(e.args[1]!);
        if (u === undefined) {
          e.info(`invalid up delay ${e.args[1]} for ${name}: expected 0 to 255 seconds`);
          continue;
        }
        up = u;
      }
      vrrpOf(c).interfaceUpDownDelays.push({ name, downDelayS: down, upDelayS: up, loc: it.loc });
    }
  }),
};
