/**
 * Keyword tables: `global_defs { ... }` and the root-level global keywords (net_namespace,
 * net_namespace_ipvs, namespace_with_ipsets, instance, use_pid_dir, linkbeat_use_polling,
 * child_wait_time), with keepalived 2.2.7's keyword set (Debian build: NFTABLES, LVS, VRRP,
 * VRRP_AUTH, VRRP_VMAC, BFD, SNMP, DBUS, no iptables/ipset) and its argument checks.
 *
 * Keywords acted on later are typed fields of GlobalDefs (units in the names); keywords accepted
 * but not acted on yet (SNMP, D-Bus, process priorities, rlimits, netlink buffers...) are checked
 * the way keepalived checks them and kept with their words in GlobalDefs.other.
 * Checks that need the machine (users, groups) are done in validate/global.ts.
 */
import type { GlobalDefs, NotifyFifo } from '../model/global.js';
import { block, list, value, type KwCtx, type Schema } from '../schema.js';
import { laterGlobalKeywords } from './later.js';
import { blockWords, IFNAMSIZ, isAddress, isMulticast, isIpv6McLinkLocal, optBool, parseSockaddr, scriptFrom } from './vrrp-util.js';

/** UINT_MAX / TIMER_HZ: the largest whole number of seconds keepalived keeps in a microsecond timer. */
const MAX_TIMER_S = 4294;
const UINT_MAX = 4294967295;
const INT_MAX = 2147483647;
/** sched_get_priority_max(SCHED_RR) on Linux. */
const RT_PRIO_MAX = 99;
const TASK_COMM_LEN = 16;
const LVS_MAX_TIMEOUT_S = 86400 * 31;
const SMTP_PORT = 25;

const glob = (c: KwCtx): GlobalDefs => c.state.config.global;

function seen(c: KwCtx): GlobalDefs {
  const g = glob(c);
  g.locs[c.keyword] = c.loc;
  return g;
}

/** Accepted, not acted on: keep the words. */
function keep(c: KwCtx): void {
  seen(c).other[c.keyword] = [...c.args];
}

const keepFlag = value((c) => keep(c));

/** A keyword taking an optional true/false word, kept in `other`. */
const keepBool = value((c) => {
  if (optBool(c, 0, `invalid value '${c.opt(0)}' for global ${c.keyword} specified`) !== undefined) keep(c);
});

function processName(c: KwCtx): void {
  const name = c.str(0);
  if (name.length >= TASK_COMM_LEN) {
    c.error(`process name ${name} is more than ${TASK_COMM_LEN - 1} characters - truncating`);
  }
  keep(c);
}

/** `*_priority N`: nice value of a child process. */
function processPriority(proc: string) {
  return value((c) => {
    if (c.n < 1) return c.error(`no ${proc} process priority specified`);
    if (c.int(0, -20, 19) !== undefined) keep(c);
  });
}

/** `*_rt_priority N`: SCHED_RR priority, clamped to [1, 99] with an error. */
function realtimePriority(proc: string) {
  return value((c) => {
    if (c.n < 1) return c.error(`no ${proc} process real-time priority specified`);
    const p = c.int(0, -INT_MAX - 1, INT_MAX);
    if (p === undefined) return;
    if (p < 1) c.error(`${proc} process real-time priority ${p} is less than the minimum 1 - setting to 1`);
    else if (p > RT_PRIO_MAX) c.error(`${proc} process real-time priority ${p} is greater than the maximum ${RT_PRIO_MAX} - setting to ${RT_PRIO_MAX}`);
    keep(c);
  });
}

function cpuAffinity(proc: string) {
  return value((c) => {
    if (c.n < 1) return c.error(`no ${proc} cpu_id set specified`);
    for (let i = 0; i < c.n; i++) if (c.int(i, 0, 1023, 'cpu id') === undefined) return;
    keep(c);
  });
}

const rtRlimit = value((c) => {
  if (c.keyword.endsWith('_rtime')) c.info(`'${c.keyword}' is deprecated - please use '${c.keyword.replace(/rtime$/, 'rttime')}'`);
  if (c.int(0, 1, UINT_MAX) !== undefined) keep(c);
});

const rcvBufs = value((c) => {
  if (c.n < 1) return c.error(`${c.keyword.replace(/_rcv_bufs$/, '')}_rcv_bufs size missing`);
  if (c.int(0, 0, UINT_MAX, 'size') !== undefined) keep(c);
});

function notifyFifo(field: 'notifyFifo' | 'vrrpNotifyFifo' | 'lvsNotifyFifo', prefix: string) {
  return value((c) => {
    const g = seen(c);
    if (c.n < 1) return c.error(`no ${prefix}notify_fifo name specified`);
    const fifo: NotifyFifo = g[field] ?? { loc: c.loc };
    if (fifo.name !== undefined) return c.error(`${prefix}notify_fifo already specified - ignoring ${c.args[0]}`);
    fifo.name = c.args[0]!;
    fifo.loc = c.loc;
    if (c.args[1] !== undefined) fifo.user = c.args[1];
    if (c.args[2] !== undefined) fifo.group = c.args[2];
    g[field] = fifo;
  });
}

function notifyFifoScript(field: 'notifyFifo' | 'vrrpNotifyFifo' | 'lvsNotifyFifo', prefix: string) {
  return value((c) => {
    const g = seen(c);
    if (c.n < 1) return c.error(`no ${prefix}notify_fifo_script specified`);
    const fifo: NotifyFifo = g[field] ?? { loc: c.loc };
    if (fifo.script) return c.error(`${prefix}notify_fifo_script already specified - ignoring ${c.args[0]}`);
    const s = scriptFrom(c, { withUser: true });
    if (!s) return;
    fifo.script = s;
    g[field] = fifo;
  });
}

function startStopScript(which: 'startup' | 'shutdown') {
  return value((c) => {
    const g = seen(c);
    const field = which === 'startup' ? 'startupScript' : 'shutdownScript';
    if (g[field]) return c.error(`${which} script already specified`);
    if (c.n < 1) return c.error(`${which} script missing`);
    const s = scriptFrom(c, { withUser: true });
    if (!s) return;
    g[field] = s;
    if (which === 'startup') g.startupScriptTimeoutS ??= 10;
    else g.shutdownScriptTimeoutS ??= 10;
  });
}

function startStopTimeout(which: 'startup' | 'shutdown') {
  return value((c) => {
    const g = seen(c);
    if (c.n < 1) return c.error(`${which}_script_timeout requires a value`);
    const t = c.int(0, 1, 1000, 'timeout');
    if (t === undefined) return;
    if (which === 'startup') g.startupScriptTimeoutS = t;
    else g.shutdownScriptTimeoutS = t;
  });
}

/** `vrrp_garp_master_*`-style whole seconds, [0, 4294]. */
function garpSeconds(set: (g: GlobalDefs, v: number) => void, max = MAX_TIMER_S) {
  return value((c) => {
    const v = c.int(0, 0, max);
    if (v !== undefined) set(seen(c), v);
  });
}

/** A repeat count where 0 is accepted for compatibility but corrected to 1. */
function garpRepeat(set: (g: GlobalDefs, v: number) => void) {
  return value((c) => {
    let v = c.int(0, 0, UINT_MAX);
    if (v === undefined) return;
    if (v === 0) {
      c.warn(`${c.keyword} must be greater than 0 - setting to 1`);
      v = 1;
    }
    set(seen(c), v);
  });
}

function garpInterval(set: (g: GlobalDefs, v: number) => void) {
  return value((c) => {
    const v = c.decimal(0, 0.000001, 4294.967295);
    if (v === undefined) return;
    set(seen(c), v);
    if (v >= 1) c.info(`the ${c.keyword} is very large - ${c.args[0]} seconds`);
  });
}

function boolField(set: (g: GlobalDefs, v: boolean) => void) {
  return value((c) => {
    const b = optBool(c, 0, `invalid value '${c.opt(0)}' for global ${c.keyword} specified`);
    if (b !== undefined) set(seen(c), b);
  });
}

function mcastGroup(fam: 4 | 6) {
  return value((c) => {
    const s = c.str(0);
    const a = parseSockaddr(s);
    if (!a) return c.error(`can't parse vrrp_mcast_group${fam} [${s}] - skipping`);
    if (a.family !== (fam === 4 ? 'inet' : 'inet6')) return c.error(`vrrp_mcast_group${fam} [${s}] is not IPv${fam} - skipping`);
    if (!isMulticast(a.address, a.family)) return c.error(`vrrp_mcast_group${fam} [${s}] is not multicast - skipping`);
    if (fam === 6 && !isIpv6McLinkLocal(a.address)) c.warn(`vrrp_mcast_group6 [${s}] should be link-local multicast`);
    const g = seen(c);
    if (fam === 4) g.vrrpMcastGroup4 = a.address;
    else g.vrrpMcastGroup6 = a.address;
  });
}

/** A host name keepalived could try to resolve (it is not resolved here). */
function looksLikeHostname(s: string): boolean {
  return s.length <= 253 && /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$/.test(s);
}

const lvsSyncDaemon = value((c) => {
  const g = seen(c);
  if (g.lvsSyncDaemon) {
    return c.error(`lvs_sync_daemon has already been specified as ${g.lvsSyncDaemon.interface} ${g.lvsSyncDaemon.vrrpInstance ?? ''} - ignoring`);
  }
  if (c.n < 1) return c.error('lvs_sync_daemon requires an interface');
  const ifname = c.args[0]!;
  if (ifname.length >= IFNAMSIZ) return c.error(`lvs_sync_daemon interface name '${ifname}' too long - ignoring`);
  const sd: NonNullable<GlobalDefs['lvsSyncDaemon']> = { interface: ifname, loc: c.loc };
  g.lvsSyncDaemon = sd;
  for (let i = 1; i < c.n; i++) {
    const w = c.args[i]!;
    const last = i === c.n - 1;
    switch (w) {
      case 'inst':
        if (sd.vrrpInstance !== undefined) c.error(`lvs_sync_daemon vrrp instance has already been specified as ${sd.vrrpInstance} - ignoring`);
        else sd.vrrpInstance = c.str(i + 1);
        i++;
        continue;
      case 'id':
      case 'maxlen':
      case 'port':
      case 'ttl': {
        if (last) {
          c.error(`no value specified for lvs_sync_daemon ${w} - ignoring`);
          continue;
        }
        const range: Record<string, [number, number]> = { id: [0, 255], maxlen: [1, 65535 - 20 - 8], port: [1, 65535], ttl: [1, 255] };
        const [lo, hi] = range[w]!;
        const v = c.int(i + 1, lo, hi);
        if (v !== undefined) {
          if (w === 'id') sd.syncId = v;
          else if (w === 'maxlen') sd.maxLen = v;
          else if (w === 'port') sd.port = v;
          else sd.ttl = v;
        }
        i++;
        continue;
      }
      case 'group': {
        if (last) {
          c.error('no value specified for lvs_sync_daemon group - ignoring');
          continue;
        }
        const a = parseSockaddr(c.args[i + 1]!);
        if (!a) c.error(`invalid lvs_sync_daemon group (${c.args[i + 1]}) - ignoring`);
        else if (!isMulticast(a.address, a.family)) c.error(`lvs_sync_daemon group address ${c.args[i + 1]} is not multicast - ignoring`);
        else sd.group = a.address;
        i++;
        continue;
      }
    }
    // Legacy form: lvs_sync_daemon IF VRRP_INSTANCE [SYNC_ID]
    if (i === 1) {
      sd.vrrpInstance = w;
      continue;
    }
    if (i === 2) {
      const v = c.int(i, 0, 255, 'syncid');
      if (v !== undefined) {
        c.warn('please use the keyword "id" before the lvs_sync_daemon SYNCID');
        sd.syncId = v;
      }
      continue;
    }
    c.error(`unknown option ${w} specified for lvs_sync_daemon`);
  }
});

const lvsTimeouts = value((c) => {
  const g = seen(c);
  if (c.n < 2) return c.error('lvs_timeouts requires at least one option and its value');
  for (let i = 0; i < c.n; i++) {
    const w = c.args[i]!;
    if (w === 'tcp' || w === 'tcpfin' || w === 'udp') {
      if (i === c.n - 1) {
        c.error(`no value specified for lvs_timeout ${w} - ignoring`);
        continue;
      }
      const v = c.int(i + 1, 0, LVS_MAX_TIMEOUT_S, 'timeout');
      if (v !== undefined) {
        if (w === 'tcp') g.lvsTimeouts.tcpS = v;
        else if (w === 'tcpfin') g.lvsTimeouts.tcpFinS = v;
        else g.lvsTimeouts.udpS = v;
      }
      i++;
      continue;
    }
    c.error(`unknown option ${w} specified for lvs_timeouts: expected tcp, tcpfin or udp`);
  }
});

const garpExtraIf = value((c) => {
  if (c.keyword === 'vrrp_vmac_garp_intvl') c.warn('keyword "vrrp_vmac_garp_intvl" is deprecated - please use "vrrp_garp_extra_if"');
  let delay = 0;
  let all = false;
  for (let i = 0; i < c.n; i++) {
    if (c.args[i] === 'all') all = true;
    else {
      const v = c.int(i, 1, 86400, 'interval');
      if (v === undefined) return;
      delay = v;
    }
  }
  if (!delay) return c.error(`${c.keyword} specified without time - ignoring`);
  const g = seen(c);
  g.vrrpGarpExtraIfS = delay;
  if (all) g.vrrpGarpExtraIfAll = true;
});

const rxBufsPolicy = value((c) => {
  if (c.n < 1) return c.error('vrrp_rx_bufs_policy missing: expected MTU, ADVERT or a size');
  let mtu = false;
  let advert = false;
  let size = false;
  for (let i = 0; i < c.n; i++) {
    const w = c.args[i]!.toUpperCase();
    if (w === 'MTU') mtu = true;
    else if (w === 'ADVERT') advert = true;
    else if (c.int(i, 0, UINT_MAX, 'size') !== undefined) size = true;
  }
  if (size && (mtu || advert)) c.error('cannot set both a vrrp_rx_bufs_policy size and a policy - ignoring the policy');
  else if (mtu && advert) c.error('cannot set both vrrp_rx_bufs_policy MTU and ADVERT - ignoring ADVERT');
  keep(c);
});

const UMASK_BITS = ['IRUSR', 'IWUSR', 'IXUSR', 'IRGRP', 'IWGRP', 'IXGRP', 'IROTH', 'IWOTH', 'IXOTH'];

const umask = value((c) => {
  const m = c.str(0);
  if (/^\d/.test(m)) {
    if (c.n !== 1) return c.error('extra parameter(s) to umask option');
    const n = /^0[0-7]*$/.test(m) ? Number.parseInt(m, 8) : /^0x[0-9a-f]+$/i.test(m) ? Number.parseInt(m, 16) : /^\d+$/.test(m) ? Number(m) : NaN;
    if (!Number.isInteger(n) || n < 0 || (n & ~0o777) !== 0) return c.error(`invalid umask value ${m}`);
  } else {
    const text = c.args.join('');
    const parts = text.split('|');
    for (const p of parts) {
      if (p === '') return c.error(`invalid umask syntax ${c.rest(0)}`);
      if (!UMASK_BITS.includes(p)) return c.error(`unknown umask bit ${p}: expected ${UMASK_BITS.join('|')}`);
    }
  }
  keep(c);
});

const includeCheck = value((c) => {
  for (let i = 0; i < c.n; i++) {
    let w = c.args[i]!;
    if (w.startsWith('-') || w.startsWith('+')) w = w.slice(1);
    else if (i > 0) {
      c.error(`duplicate include_check '${w}' specified - ignoring`);
      continue;
    }
    if (!['read', 'match', 'wildcard_match', 'brace_match'].includes(w)) c.error(`unknown include_check type '${w}' - ignoring`);
  }
  keep(c);
});

const globalDefsKeywords: Schema = {
  process_names: keepFlag,
  process_name: value(processName),
  vrrp_process_name: value(processName),
  checker_process_name: value(processName),
  lvs_process_name: value((c) => {
    c.info("'lvs_process_name' is deprecated - please use 'checker_process_name'");
    processName(c);
  }),
  bfd_process_name: value(processName),
  router_id: value((c) => {
    if (c.n < 1) return c.error('router_id name missing - ignoring');
    seen(c).routerId = c.args[0]!;
  }),
  notification_email_from: value((c) => {
    if (c.n < 1) return c.error('notification_email_from address missing - ignoring');
    seen(c).notificationEmailFrom = c.args[0]!;
  }),
  smtp_server: value((c) => {
    const host = c.str(0);
    const portStr = c.opt(1);
    let port = SMTP_PORT;
    if (portStr !== undefined) {
      const p = c.int(1, 1, 65535, 'port');
      if (p === undefined) return c.error(`invalid smtp server ${host} ${portStr}`);
      port = p;
    }
    // keepalived resolves a name with getaddrinfo() here; tskeepalived does not resolve at parse time
    // and only rejects what cannot be an address or a host name.
    if (!isAddress(host) && !looksLikeHostname(host)) {
      return c.error(`invalid smtp server ${host} ${portStr ?? SMTP_PORT}: expected an IP address or a host name`);
    }
    seen(c).smtpServer = { host, port, loc: c.loc };
  }),
  smtp_helo_name: value((c) => {
    if (c.n < 1) return;
    seen(c).smtpHeloName = c.args[0]!;
  }),
  smtp_connect_timeout: value((c) => {
    let t = c.int(0, 0, MAX_TIMER_S, 'timeout');
    if (t === undefined) return;
    if (t === 0) {
      c.warn('smtp_connect_timeout must be greater than 0 - setting to 1');
      t = 1;
    }
    seen(c).smtpConnectTimeoutS = t;
  }),
  notification_email: list((c, _t, items) => {
    const words = blockWords(items);
    const g = seen(c);
    if (words.length === 0) return c.warn('Warning - empty notification_email block');
    g.notificationEmail.push(...words);
  }),
  smtp_alert: boolField((g, v) => (g.smtpAlert = v)),
  smtp_alert_vrrp: boolField((g, v) => (g.smtpAlertVrrp = v)),
  smtp_alert_checker: boolField((g, v) => (g.smtpAlertChecker = v)),
  checker_log_all_failures: keepBool,
  startup_script: startStopScript('startup'),
  startup_script_timeout: startStopTimeout('startup'),
  shutdown_script: startStopScript('shutdown'),
  shutdown_script_timeout: startStopTimeout('shutdown'),
  max_auto_priority: value((c) => {
    const g = seen(c);
    if (c.n < 1) {
      g.maxAutoPriority = RT_PRIO_MAX;
      return;
    }
    const p = c.int(0, -1, RT_PRIO_MAX, 'priority');
    if (p !== undefined) g.maxAutoPriority = p;
  }),
  min_auto_priority_delay: value((c) => {
    if (c.n < 1) return c.error('min_auto_priority_delay requires a delay time');
    const d = c.int(0, 1, 10_000_000, 'delay');
    if (d !== undefined) seen(c).minAutoPriorityDelayUs = d;
  }),
  dynamic_interfaces: value((c) => {
    const g = seen(c);
    g.dynamicInterfaces = true;
    const opt = c.opt(0);
    if (opt === undefined) return;
    if (opt === 'allow_if_changes') g.allowIfChanges = true;
    else c.error(`unknown dynamic_interfaces option '${opt}': expected allow_if_changes`);
  }),
  no_email_faults: value((c) => {
    seen(c).noEmailFaults = true;
  }),
  default_interface: value((c) => {
    if (c.n < 1) return c.error('default_interface requires an interface name');
    seen(c).defaultInterface = c.args[0]!;
  }),
  disable_local_igmp: value((c) => {
    seen(c).disableLocalIgmp = true;
  }),
  lvs_timeouts: lvsTimeouts,
  lvs_flush: value((c) => {
    seen(c).lvsFlush = true;
  }),
  lvs_flush_on_stop: value((c) => {
    const w = c.opt(0);
    if (w === undefined) seen(c).lvsFlushOnStop = 'full';
    else if (w === 'VS') seen(c).lvsFlushOnStop = 'vs';
    else c.error(`unknown lvs_flush_on_stop type ${w}: expected VS or nothing`);
  }),
  lvs_sync_daemon: lvsSyncDaemon,
  vrrp_mcast_group4: mcastGroup(4),
  vrrp_mcast_group6: mcastGroup(6),
  vrrp_garp_master_delay: garpSeconds((g, v) => (g.vrrpGarpMasterDelayS = v)),
  vrrp_garp_master_repeat: garpRepeat((g, v) => (g.vrrpGarpMasterRepeat = v)),
  vrrp_garp_master_refresh: garpSeconds((g, v) => (g.vrrpGarpMasterRefreshS = v), UINT_MAX),
  vrrp_garp_master_refresh_repeat: garpRepeat((g, v) => (g.vrrpGarpMasterRefreshRepeat = v)),
  vrrp_garp_lower_prio_delay: garpSeconds((g, v) => (g.vrrpGarpLowerPrioDelayS = v)),
  vrrp_garp_lower_prio_repeat: value((c) => {
    const v = c.int(0, 0, INT_MAX);
    if (v !== undefined) seen(c).vrrpGarpLowerPrioRepeat = v;
  }),
  vrrp_down_timer_adverts: value((c) => {
    const v = c.int(0, 1, 100);
    if (v !== undefined) seen(c).vrrpDownTimerAdverts = v;
  }),
  vrrp_garp_interval: garpInterval((g, v) => (g.vrrpGarpIntervalS = v)),
  vrrp_gna_interval: garpInterval((g, v) => (g.vrrpGnaIntervalS = v)),
  vrrp_min_garp: value((c) => {
    const b = optBool(c, 0, `invalid value '${c.opt(0)}' for vrrp_min_garp specified`);
    if (!b) return;
    // Only one gratuitous ARP/NA with no repeat; values already changed from the default are kept.
    const g = seen(c);
    g.vrrpMinGarp = true;
    if (g.vrrpGarpMasterRepeat === 5) g.vrrpGarpMasterRepeat = 1;
    if (g.vrrpGarpMasterRefreshRepeat === 1) g.vrrpGarpMasterRefreshRepeat = 0;
    if (g.vrrpGarpMasterDelayS === 5) g.vrrpGarpMasterDelayS = 0;
  }),
  vrrp_garp_extra_if: garpExtraIf,
  vrrp_vmac_garp_intvl: garpExtraIf,
  vrrp_lower_prio_no_advert: boolField((g, v) => (g.vrrpLowerPrioNoAdvert = v)),
  vrrp_higher_prio_send_advert: boolField((g, v) => (g.vrrpHigherPrioSendAdvert = v)),
  vrrp_version: value((c) => {
    const v = c.int(0, 2, 3, 'version');
    if (v === undefined) return;
    seen(c).vrrpVersion = v as 2 | 3;
  }),
  vrrp_iptables: value((c) => {
    // This build of keepalived (like Debian's) has nftables but not iptables.
    c.warn("iptables not supported, using nftables instead: replace 'vrrp_iptables' and 'vrrp_ipsets' with the 'nftables' option");
    seen(c).nftablesTable = 'keepalived';
  }),
  nftables: value((c) => {
    const g = seen(c);
    if (g.nftablesTable !== undefined) return c.error('nftables already specified - ignoring');
    const name = c.opt(0) ?? 'keepalived';
    if (name.length >= 256) return c.error('nftables table name too long - ignoring');
    g.nftablesTable = name;
  }),
  nftables_priority: value((c) => {
    const v = c.int(0, -2147483648, INT_MAX, 'nftables chain priority');
    if (v !== undefined) seen(c).nftablesPriority = v;
  }),
  nftables_ifindex: value((c) => {
    seen(c).nftablesIfindex = true;
  }),
  nftables_ipvs: value((c) => {
    const g = seen(c);
    if (g.nftablesIpvsTable !== undefined) return c.error('ipvs nftables already specified - ignoring');
    const name = c.opt(0) ?? 'keepalived_ipvs';
    if (name.length >= 256) return c.error('ipvs nftables table name too long - ignoring');
    g.nftablesIpvsTable = name;
    g.nftablesIpvsStartFwmark ??= 1000;
  }),
  nftables_ipvs_priority: value((c) => {
    const v = c.int(0, -2147483648, INT_MAX, 'ipvs nftables chain priority');
    if (v !== undefined) seen(c).nftablesIpvsPriority = v;
  }),
  nftables_ipvs_start_fwmark: value((c) => {
    const v = c.int(0, 1, UINT_MAX, 'fwmark');
    if (v !== undefined) seen(c).nftablesIpvsStartFwmark = v;
  }),
  nftables_counters: value((c) => {
    seen(c).nftablesCounters = true;
  }),
  vrrp_check_unicast_src: value((c) => {
    seen(c).vrrpCheckUnicastSrc = true;
  }),
  vrrp_skip_check_adv_addr: value((c) => {
    seen(c).vrrpSkipCheckAdvAddr = true;
  }),
  vrrp_strict: value((c) => {
    seen(c).vrrpStrict = true;
  }),
  vrrp_priority: processPriority('vrrp'),
  vrrp_no_swap: keepFlag,
  vrrp_rt_priority: realtimePriority('vrrp'),
  vrrp_cpu_affinity: cpuAffinity('vrrp'),
  vrrp_rlimit_rttime: rtRlimit,
  vrrp_rlimit_rtime: rtRlimit,
  notify_fifo: notifyFifo('notifyFifo', ''),
  notify_fifo_script: notifyFifoScript('notifyFifo', ''),
  vrrp_notify_fifo: notifyFifo('vrrpNotifyFifo', 'vrrp_'),
  vrrp_notify_fifo_script: notifyFifoScript('vrrpNotifyFifo', 'vrrp_'),
  vrrp_notify_priority_changes: boolField((g, v) => (g.vrrpNotifyPriorityChanges = v)),
  // tskeepalived's own (keepalived warns "Unknown keyword" and goes on).
  tskeepalived_restore_deleted_vips: value((c) => {
    seen(c).restoreDeletedVips = true;
  }),
  tskeepalived_ipvs_check_interval: value((c) => {
    if (c.n < 1) return c.error('tskeepalived_ipvs_check_interval needs a number of seconds (0 = never)');
    const v = c.int(0, 0, 86400, 'interval');
    if (v !== undefined) seen(c).ipvsCheckIntervalS = v;
  }),
  fifo_write_vrrp_states_on_reload: value((c) => {
    seen(c).fifoWriteVrrpStatesOnReload = true;
  }),
  lvs_notify_fifo: notifyFifo('lvsNotifyFifo', 'lvs_'),
  lvs_notify_fifo_script: notifyFifoScript('lvsNotifyFifo', 'lvs_'),
  checker_priority: processPriority('checker'),
  checker_no_swap: keepFlag,
  checker_rt_priority: realtimePriority('checker'),
  checker_cpu_affinity: cpuAffinity('checker'),
  checker_rlimit_rttime: rtRlimit,
  checker_rlimit_rtime: rtRlimit,
  bfd_priority: processPriority('bfd'),
  bfd_no_swap: keepFlag,
  bfd_rt_priority: realtimePriority('bfd'),
  bfd_cpu_affinity: cpuAffinity('bfd'),
  bfd_rlimit_rttime: rtRlimit,
  bfd_rlimit_rtime: rtRlimit,
  snmp_socket: value((c) => {
    const g = seen(c);
    if (c.n > 1) return c.error('too many parameters specified for snmp_socket - ignoring');
    if (c.n < 1) return c.error('SNMP socket name missing');
    if (c.args[0]!.length > 4095) return c.error('SNMP socket name too long - ignoring');
    if (g.other['snmp_socket']) return c.error(`SNMP socket already set to ${g.other['snmp_socket'][0]} - ignoring`);
    keep(c);
  }),
  enable_traps: keepFlag,
  enable_snmp_vrrp: keepFlag,
  enable_snmp_keepalived: keepFlag,
  enable_snmp_rfc: keepFlag,
  enable_snmp_rfcv2: keepFlag,
  enable_snmp_rfcv3: keepFlag,
  enable_snmp_checker: keepFlag,
  enable_dbus: keepFlag,
  dbus_service_name: value((c) => {
    if (c.n < 1) return c.error('dbus_service_name missing - ignoring');
    keep(c);
  }),
  script_user: value((c) => {
    if (c.n < 1) return c.error('no script username specified');
    const g = seen(c);
    g.scriptUser = c.args[0]!;
    if (c.args[1] !== undefined) g.scriptGroup = c.args[1];
    else delete g.scriptGroup;
  }),
  enable_script_security: value((c) => {
    seen(c).enableScriptSecurity = true;
  }),
  vrrp_netlink_cmd_rcv_bufs: rcvBufs,
  vrrp_netlink_cmd_rcv_bufs_force: keepBool,
  vrrp_netlink_monitor_rcv_bufs: value((c) => {
    if (c.n < 1) return c.error('vrrp_netlink_monitor_rcv_bufs size missing');
    const v = c.int(0, 0, UINT_MAX, 'size');
    if (v !== undefined && v > 0) seen(c).vrrpNetlinkMonitorRcvBufs = Math.min(v, 0x7fffffff);
  }),
  vrrp_netlink_monitor_rcv_bufs_force: value((c) => {
    const v = optBool(c, 0, `invalid value '${c.opt(0)}' for global ${c.keyword} specified`);
    if (v !== undefined) seen(c).vrrpNetlinkMonitorRcvBufsForce = v;
  }),
  process_monitor_rcv_bufs: rcvBufs,
  process_monitor_rcv_bufs_force: keepBool,
  lvs_netlink_cmd_rcv_bufs: rcvBufs,
  lvs_netlink_cmd_rcv_bufs_force: keepBool,
  lvs_netlink_monitor_rcv_bufs: rcvBufs,
  lvs_netlink_monitor_rcv_bufs_force: keepBool,
  rs_init_notifies: keepBool,
  no_checker_emails: keepBool,
  vrrp_rx_bufs_policy: rxBufsPolicy,
  vrrp_rx_bufs_multiplier: value((c) => {
    if (c.n !== 1) return c.error('invalid vrrp_rx_bufs_multiplier: expected one number');
    if (c.int(0, 1, UINT_MAX, 'multiplier') !== undefined) keep(c);
  }),
  vrrp_startup_delay: value((c) => {
    const v = c.decimal(0, 0.001, 4294.967295);
    if (v === undefined) return;
    seen(c).vrrpStartupDelayS = v;
    if (v >= 60) c.info(`the vrrp_startup_delay is very large - ${c.args[0]} seconds`);
  }),
  log_unknown_vrids: keepFlag,
  vmac_prefix: value((c) => {
    const p = c.str(0);
    const g = seen(c);
    if (g.vmacPrefix !== undefined) return c.error(`vmac prefix has already been specified - ignoring ${p}`);
    g.vmacPrefix = p;
  }),
  vmac_addr_prefix: value((c) => {
    const p = c.str(0);
    const g = seen(c);
    if (g.vmacAddrPrefix !== undefined) return c.error(`vmac_addr prefix has already been specified - ignoring ${p}`);
    g.vmacAddrPrefix = p;
  }),
  umask,
  random_seed: value((c) => {
    if (c.int(0, 0, UINT_MAX, 'seed') !== undefined) keep(c);
  }),
  reload_check_config: value((c) => {
    seen(c).reloadCheckConfig = c.opt(0) ?? '/dev/null';
  }),
  reload_time_file: value((c) => {
    if (c.n !== 1) return c.error('reload_time_file invalid: expected one file name');
    seen(c).reloadTimeFile = c.args[0]!;
  }),
  reload_repeat: value((c) => {
    seen(c).reloadRepeat = true;
  }),
  reload_file: value((c) => {
    const g = seen(c);
    if (c.opt(0) !== undefined) g.reloadFile = c.args[0]!;
    else delete g.reloadFile;
  }),
  include_check: includeCheck,
  config_save_dir: value((c) => {
    c.str(0);
    keep(c);
  }),
  tmp_config_directory: value((c) => {
    const g = seen(c);
    if (g.other['tmp_config_directory']) return c.error('tmp_config_directory already specified - ignoring');
    if (c.n < 1) return c.error('tmp_config_directory missing directory name');
    keep(c);
  }),
  data_use_instance: keepBool,
  ...laterGlobalKeywords,
};
globalDefsKeywords['lvs_flush_onstop'] = globalDefsKeywords['lvs_flush_on_stop']!;

export const globalRootKeywords: Schema = {
  linkbeat_use_polling: value((c) => {
    seen(c).linkbeatUsePolling = true;
  }),
  net_namespace: value((c) => {
    if (c.n < 1) return c.error('net_namespace name missing - ignoring');
    const g = seen(c);
    if (g.netNamespace !== undefined) return c.error(`duplicate net_namespace definition ${c.args[0]} - ignoring`);
    g.netNamespace = c.args[0]!;
    g.usePidDir = true;
  }),
  net_namespace_ipvs: value((c) => {
    const g = seen(c);
    if (g.netNamespaceIpvs !== undefined) return c.error(`duplicate net_namespace_ipvs definition ${c.opt(0) ?? ''} - ignoring`);
    g.netNamespaceIpvs = c.opt(0) ?? '';
  }),
  namespace_with_ipsets: value((c) => {
    seen(c).namespaceWithIpsets = true;
  }),
  use_pid_dir: value((c) => {
    seen(c).usePidDir = true;
  }),
  instance: value((c) => {
    if (c.n < 1) return c.error('instance name missing - ignoring');
    const g = seen(c);
    if (g.instance !== undefined) return c.error(`duplicate instance definition ${c.args[0]} - ignoring`);
    g.instance = c.args[0]!;
    g.usePidDir = true;
  }),
  child_wait_time: value((c) => {
    const v = c.int(0, 0, UINT_MAX, 'time');
    if (v !== undefined) seen(c).childWaitTimeS = v;
  }),
  global_defs: block(globalDefsKeywords, (c) => {
    seen(c);
    return c.state.config.global;
  }),
};
