/**
 * Config layer: defaults and checks for the VRRP part of the model, in the order of keepalived
 * 2.2.7's VRRP process (vrrp_daemon.c start_vrrp(), vrrp.c vrrp_complete_init() and
 * vrrp_complete_instance()):
 *
 * 1. interfaces named by the configuration must exist (unless dynamic_interfaces); a missing one
 *    is a warning and, as in keepalived, the VRRP checks stop there ("Non-existent interface");
 * 2. script users (vrrp_script `user`, notify `USER [GROUP]`, global script_user);
 * 3. scripts are registered for the shared script checks (validate/scripts.ts);
 * 4. every instance needs a virtual_router_id and an interface (else the VRRP process would not
 *    start: reported as an error, as keepalived -t does, and recorded in vrrp.startupError);
 * 5. sync groups are resolved; 6. each instance is completed (family, version, priority from the
 *    state, state from the priority, authentication, unicast, advert interval, strict mode...);
 * 7. VRID conflicts; 8. sync group tracking weights.
 */
import type { KeepalivedConfig } from '../model.js';
import type { GlobalDefs } from '../model/global.js';
import { NOT_ACTED_ON, type Loc } from '../diagnostics.js';
import type { NotifyScripts, TrackRef, VirtualIp, VirtualRoute, VirtualRule, VrrpConfig, VrrpInstance, VrrpScript, VrrpSyncGroup } from '../model/vrrp.js';
import { isIpv6LinkLocal } from '../keywords/vrrp-util.js';
import type { ValidateContext } from './context.js';
import { notifyScriptUserOk } from './global.js';

const PRIO_OWNER = 255;
const PRIO_DEFAULT = 100;
/** Bytes available for addresses in an advert on a 1500-byte MTU (keepalived's DEFAULT_MTU). */
const DEFAULT_MTU = 1500;

const NOTIFY_KEYS: (keyof NotifyScripts)[] = ['backup', 'master', 'fault', 'stop', 'deleted', 'generic', 'masterRxLowerPri'];
const NOTIFY_NAMES: Record<keyof NotifyScripts, string> = {
  backup: 'notify_backup',
  master: 'notify_master',
  fault: 'notify_fault',
  stop: 'notify_stop',
  deleted: 'notify_deleted',
  generic: 'notify',
  masterRxLowerPri: 'notify_master_rx_lower_pri',
};

class Stop extends Error {}

export function validateVrrp(config: KeepalivedConfig, ctx: ValidateContext): void {
  try {
    run(config, ctx);
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
  }
}

function run(config: KeepalivedConfig, ctx: ValidateContext): void {
  const v = config.vrrp;
  const g = config.global;
  checkInterfaces(v, g, ctx);
  checkScriptUsers(v, g, ctx);
  if (v.instances.length === 0) return;
  registerScripts(config, ctx);

  for (const inst of v.instances) {
    if (inst.virtualRouterId === undefined) stop(v, ctx, `(${inst.name}) the virtual router id must be set: add virtual_router_id (1-255)`, inst.loc);
    // keepalived refuses the loopback device (named lo in every network namespace) as a VRRP interface.
    if (inst.interface === 'lo') {
      ctx.diag.error(`(${inst.name}) cannot use a loopback interface (lo) for vrrp - ignoring`, inst.locs['interface'] ?? inst.loc);
      inst.interface = undefined;
    }
    if (inst.interface === undefined) {
      stop(v, ctx, `(${inst.name}) Unknown interface! the instance needs an interface (keepalived 2.2.7 requires one even with unicast peers)`, inst.loc);
    }
  }

  resolveSyncGroups(v, ctx);
  for (const inst of v.instances) completeInstance(inst, v, g, ctx);
  checkVridConflicts(v, g, ctx);
  syncGroupTracking(v, g, ctx);
  resolveLvsSyncDaemon(v, g, ctx);
}

function stop(v: VrrpConfig, ctx: ValidateContext, msg: string, loc?: Loc): never {
  ctx.diag.error(msg, loc);
  v.startupError = msg;
  throw new Stop();
}

// ---------------------------------------------------------------------------------------------
// 1. Interfaces

function checkInterfaces(v: VrrpConfig, g: GlobalDefs, ctx: ValidateContext): void {
  const { env, diag } = ctx;
  // With dynamic_interfaces keepalived creates the interfaces it does not know and waits for them.
  const exists = (n: string): boolean => g.dynamicInterfaces || env.interfaceExists(n);
  let missing = false;
  const miss = (msg: string, loc: Loc): false => {
    diag.warn(msg, loc);
    missing = true;
    return false;
  };

  const addrOk = (a: VirtualIp): boolean =>
    a.dev === undefined || exists(a.dev) || miss(`WARNING - interface ${a.dev} for ip address ${a.address} doesn't exist`, a.loc);
  const routeOk = (r: VirtualRoute): boolean => {
    for (const d of [r.dev, ...r.nexthops.map((n) => n.dev)]) {
      if (d !== undefined && !exists(d)) return miss(`WARNING - interface ${d} for VROUTE nexthop doesn't exist`, r.loc);
    }
    return true;
  };
  const ruleOk = (r: VirtualRule): boolean => {
    for (const d of [r.iif, r.oif]) {
      if (d !== undefined && !exists(d)) return miss(`WARNING - interface ${d} for rule doesn't exist`, r.loc);
    }
    return true;
  };

  const defaultIf = g.defaultInterface ?? 'eth0';
  v.staticAddresses = v.staticAddresses.filter((a) => {
    if (a.dev !== undefined) return addrOk(a);
    if (!env.interfaceExists(defaultIf)) {
      diag.fatal(`static address ${a.address} requires either an interface (dev) or the default interface ${defaultIf} to exist`, a.loc);
      return false;
    }
    a.dev = defaultIf;
    return true;
  });
  v.staticRoutes = v.staticRoutes.filter(routeOk);
  v.staticRules = v.staticRules.filter(ruleOk);
  // Statics are put back when deleted (daemon/static-net.ts); a track_group's FAULT while one is missing is not built.
  for (const e of [...v.staticAddresses, ...v.staticRoutes, ...v.staticRules]) {
    if (e.trackGroup !== undefined)
      diag.info(
        `track_group ${e.trackGroup} on a static address, route or rule ${NOT_ACTED_ON}: the entry is put back when deleted, the group's instances are not put in FAULT`,
        e.loc,
      );
  }

  for (const sg of v.syncGroups) {
    sg.trackInterfaces = sg.trackInterfaces.filter((t) => exists(t.name) || miss(`(${sg.name}) tracked interface ${t.name} doesn't exist`, t.loc));
  }
  for (const gg of v.garpGroups) {
    gg.interfaces = gg.interfaces.filter((n) => {
      if (env.interfaceExists(n)) return true;
      if (g.dynamicInterfaces) diag.info(`WARNING - interface ${n} specified for garp_group doesn't exist`, gg.loc);
      else miss(`WARNING - interface ${n} specified for garp_group doesn't exist`, gg.loc);
      return g.dynamicInterfaces;
    });
  }
  for (const inst of v.instances) {
    if (inst.interface !== undefined && !exists(inst.interface)) {
      miss(`WARNING - interface ${inst.interface} for vrrp_instance ${inst.name} doesn't exist`, inst.locs['interface'] ?? inst.loc);
      delete inst.interface;
    }
    if (inst.vrf !== undefined && !exists(inst.vrf)) {
      miss(`(${inst.name}) WARNING - VRF interface ${inst.vrf} doesn't exist`, inst.locs['vrf'] ?? inst.loc);
      delete inst.vrf;
    }
    inst.trackInterfaces = inst.trackInterfaces.filter((t) => exists(t.name) || miss(`(${inst.name}) tracked interface ${t.name} doesn't exist`, t.loc));
    inst.virtualIps = inst.virtualIps.filter(addrOk);
    inst.excludedIps = inst.excludedIps.filter(addrOk);
    inst.virtualRoutes = inst.virtualRoutes.filter(routeOk);
    inst.virtualRules = inst.virtualRules.filter(ruleOk);
  }
  for (const lb of v.linkbeatInterfaces) {
    if (!exists(lb.name)) diag.fatal(`unknown interface ${lb.name} specified for linkbeat interface`, lb.loc);
  }
  v.linkbeatInterfaces = v.linkbeatInterfaces.filter((lb) => exists(lb.name));
  for (const d of v.interfaceUpDownDelays) {
    if (!exists(d.name)) diag.fatal(`unknown interface ${d.name} specified for up/down delay`, d.loc);
  }
  v.interfaceUpDownDelays = v.interfaceUpDownDelays.filter((d) => exists(d.name));

  if (missing) {
    const msg = 'Non-existent interface specified in configuration: the VRRP instances cannot be started';
    diag.fatal(msg);
    v.startupError = msg;
    throw new Stop();
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Script users

/**
 * Drops a vrrp_script and the references to it. With `ctx`, each reference is reported the way
 * keepalived reports it when the script was removed while parsing ("track script X not found").
 */
function removeScript(v: VrrpConfig, s: VrrpScript, ctx?: ValidateContext): void {
  v.scripts = v.scripts.filter((x) => x !== s);
  const drop = (refs: TrackRef[], owner: string): TrackRef[] =>
    refs.filter((r) => {
      if (r.name !== s.name) return true;
      ctx?.diag.warn(`(${owner}) track script ${r.name} not found (removed), ignoring...`, r.loc);
      return false;
    });
  for (const i of v.instances) i.trackScripts = drop(i.trackScripts, i.name);
  for (const sg of v.syncGroups) sg.trackScripts = drop(sg.trackScripts, sg.name);
}

function checkScriptUsers(v: VrrpConfig, g: GlobalDefs, ctx: ValidateContext): void {
  const { env, diag } = ctx;
  for (const s of [...v.scripts]) {
    if (s.user !== undefined) {
      if (!env.userExists(s.user) || (s.group !== undefined && !env.groupExists(s.group))) {
        diag.error(
          `unable to set uid/gid for script ${s.script!.cmd} of vrrp_script ${s.name}: user '${s.user}'${s.group ? ` or group '${s.group}'` : ''} does not exist - removing it`,
          s.loc,
        );
        removeScript(v, s, ctx);
      } else {
        s.script!.user = s.user;
        if (s.group !== undefined) s.script!.group = s.group;
      }
    } else if (g.scriptUserError) {
      diag.error(`unable to set the default user for vrrp script ${s.name} - removing it`, s.loc);
      removeScript(v, s, ctx);
    }
  }
  const owners: { name: string; notify: NotifyScripts }[] = [...v.instances, ...v.syncGroups];
  for (const o of owners) {
    for (const k of NOTIFY_KEYS) {
      const s = o.notify[k];
      if (s && !notifyScriptUserOk(s, `${NOTIFY_NAMES[k]} script of ${o.name}`, g, ctx)) delete o.notify[k];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 3. Scripts for the shared script checks

function registerScripts(config: KeepalivedConfig, ctx: ValidateContext): void {
  const v = config.vrrp;
  const g = config.global;
  for (const s of v.scripts) {
    ctx.scripts.push({ script: s.script!, kind: 'track', owner: `track script ${s.name}`, disable: () => removeScript(config.vrrp, s) });
  }
  for (const i of v.instances) registerNotify(i, `vrrp_instance ${i.name}`, ctx);
  for (const sg of v.syncGroups) registerNotify(sg, `vrrp_sync_group ${sg.name}`, ctx);
  const fifos: [typeof g.vrrpNotifyFifo, string][] = [[g.vrrpNotifyFifo, 'vrrp_notify_fifo_script']];
  // The global FIFO script is run by the checker process when there is one.
  if (config.lvs.virtualServers.length === 0) fifos.push([g.notifyFifo, 'notify_fifo_script']);
  for (const [fifo, owner] of fifos) {
    const s = fifo?.script;
    if (!fifo || !s) continue;
    if (!notifyScriptUserOk(s, owner, g, ctx)) {
      delete fifo.script;
      continue;
    }
    ctx.scripts.push({ script: s, kind: 'notify', owner, disable: () => delete fifo.script });
  }
}

function registerNotify(o: { notify: NotifyScripts }, owner: string, ctx: ValidateContext): void {
  for (const k of NOTIFY_KEYS) {
    const s = o.notify[k];
    if (s) ctx.scripts.push({ script: s, kind: 'notify', owner: `${NOTIFY_NAMES[k]} of ${owner}`, disable: () => delete o.notify[k] });
  }
}

// ---------------------------------------------------------------------------------------------
// 5. Sync groups (vrrp_sync_set_group)

function resolveSyncGroups(v: VrrpConfig, ctx: ValidateContext): void {
  const { diag } = ctx;
  const kept: VrrpSyncGroup[] = [];
  for (const sg of v.syncGroups) {
    if (!sg.members || sg.members.length === 0) {
      diag.error(`sync group ${sg.name} has no virtual router(s): add a 'group { INSTANCE ... }' block - removing it`, sg.loc);
      continue;
    }
    const members: string[] = [];
    let state: 'init' | 'master' | 'backup' = 'init';
    for (const name of sg.members) {
      const inst = v.instances.find((i) => i.name === name);
      if (!inst) {
        diag.error(`virtual router ${name} specified in sync group ${sg.name} doesn't exist - ignoring it`, sg.loc);
        continue;
      }
      if (inst.syncGroup !== undefined) {
        diag.error(`virtual router ${name} cannot be in more than one sync group - ignoring it in ${sg.name}`, sg.loc);
        continue;
      }
      inst.syncGroup = sg.name;
      members.push(name);
      const owner = inst.state === 'MASTER' && inst.priority === PRIO_OWNER;
      if (state === 'master' && inst.state === 'BACKUP') {
        diag.warn(`sync group ${sg.name} has some member(s) as address owner and some not as address owner - this won't work`, sg.loc);
      }
      if (state !== 'backup') state = owner ? 'master' : 'backup';
    }
    if (members.length === 0) {
      diag.error(`sync group ${sg.name}: no matching virtual router found in the group declaration - removing it`, sg.loc);
      continue;
    }
    if (members.length === 1) diag.warn(`sync group ${sg.name} has only 1 virtual router - this probably isn't what you want`, sg.loc);
    sg.members = members;
    kept.push(sg);
  }
  v.syncGroups = kept;
}

// ---------------------------------------------------------------------------------------------
// 6. Instances (vrrp_complete_instance)

function completeInstance(inst: VrrpInstance, v: VrrpConfig, g: GlobalDefs, ctx: ValidateContext): void {
  const { diag } = ctx;
  const n = `(${inst.name})`;
  const at = inst.loc;
  const warn = (msg: string, loc: Loc = at): void => diag.warn(`${n} ${msg}`, loc);
  inst.strictMode ??= g.vrrpStrict;
  const strict = inst.strictMode;

  if (inst.family === 'inet6') {
    if (inst.version === 2 && strict) {
      warn('cannot use IPv6 with VRRP version 2 - setting version 3');
      inst.version = 3;
    } else inst.version ??= 3;
  }
  inst.family ??= 'inet';
  inst.version ??= g.vrrpVersion;
  if (inst.family === 'inet') inst.unicastTtl ??= 255;

  if (inst.virtualIps.length === 0) {
    if (inst.version === 3 || strict) stop(v, ctx, `${n} No VIP specified; at least one is required (VRRP version 3 or strict mode)`, at);
    warn('No VIP specified; at least one is sensible');
  }

  // No priority: derived from the initial state. No state: derived from the priority.
  inst.priority ??= inst.state === 'MASTER' ? PRIO_OWNER : PRIO_DEFAULT;
  if (inst.state === undefined) inst.initialState = inst.priority === PRIO_OWNER ? 'MASTER' : 'BACKUP';
  else {
    inst.initialState = inst.state;
    if (strict && (inst.state === 'MASTER') !== (inst.priority === PRIO_OWNER)) {
      warn('State MASTER must match being address owner (priority 255) in strict mode', inst.locs['state']);
      inst.initialState = inst.priority === PRIO_OWNER ? 'MASTER' : 'BACKUP';
    }
  }

  const auth = inst.authentication;
  if (auth?.type !== undefined) {
    const aloc = auth.loc;
    if (strict) {
      warn('strict mode does not support authentication - ignoring it', aloc);
      delete auth.type;
    } else if (inst.version === 3) {
      warn('VRRP version 3 does not support authentication - ignoring it', aloc);
      delete auth.type;
    } else if (!auth.pass) {
      warn('authentication specified but no password (auth_pass) given - ignoring it', aloc);
      delete auth.type;
    } else if (inst.family === 'inet6' && auth.type === 'AH') {
      warn('cannot use AH authentication with IPv6 - ignoring it', aloc);
      delete auth.type;
    } else if (auth.type === 'AH' && inst.initialState === 'MASTER' && inst.priority !== PRIO_OWNER) {
      warn('Initial state master is incompatible with AH authentication - clearing (starting as BACKUP)', inst.locs['state'] ?? aloc);
      inst.initialState = 'BACKUP';
    }
  }

  if (inst.unicastConfigured) {
    if (inst.unicastPeers.length) inst.unicast = true;
    else if (inst.unicastFaultNoPeer) diag.info(`${n} cannot use unicast without any peers - the instance will be in FAULT state`, at);
    else {
      warn(
        'A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please add unicast_peer or remove the unicast keywords',
      );
    }
  }
  inst.unicast ??= false;
  // global_defs vrrp_check_unicast_src turns check_unicast_src on for every instance (acted on in unicast).
  if (g.vrrpCheckUnicastSrc) inst.checkUnicastSrc = true;
  if (inst.oldUnicastChecksum !== undefined && inst.unicast && inst.version === 3) {
    // info: said by -t (exit code unchanged) and logged by the daemon as a warning (NOT_ACTED_ON).
    diag.info(
      `${n} old_unicast_checksum ${NOT_ACTED_ON}: unicast VRRPv3 checksums are computed and checked as RFC 5798 says`,
      inst.locs['old_unicast_checksum'] ?? at,
    );
  }
  if (strict && inst.unicast) stop(v, ctx, `${n} Unicast peers are not supported in strict mode`, inst.locs['unicast_peer'] ?? at);
  // The instance's own garp_extra_if with a time (the global one is reported at its line by the walker).
  const extraIfLoc = inst.locs['garp_extra_if'] ?? inst.locs['vmac_garp_intvl'];
  if ((inst.garpExtraIfS ?? 0) > 0 && extraIfLoc)
    diag.info(`${n} garp_extra_if ${NOT_ACTED_ON}: no periodic announcements on the interfaces of VIPs with another dev`, extraIfLoc);

  if (strict && inst.vmacMac !== undefined) {
    warn('cannot specify a MAC address with strict mode - clearing', inst.locs['use_vmac']);
    delete inst.vmacMac;
  }

  if (inst.family === 'inet6' && !inst.unicast && inst.virtualIps.length) {
    const first = inst.virtualIps[0]!;
    if (!isIpv6LinkLocal(first.address)) {
      if (strict) diag.error(`${n} the first IPv6 VIP address must be link local`, first.loc);
      else diag.info(`${n} the first IPv6 VIP address should be link local`, first.loc);
    }
  }

  if (inst.vrf !== undefined && (inst.interface !== undefined || !inst.unicast)) {
    warn(`vrf can only be specified with${inst.interface !== undefined ? 'out interface' : ' unicast'} - clearing`, inst.locs['vrf']);
    delete inst.vrf;
  }

  // The addresses must fit in one advert (count field is 8 bits); the excess becomes eVIPs.
  const hdr = inst.family === 'inet' ? 14 + 20 + 8 + (inst.version === 2 ? 8 + (auth?.type === 'AH' ? 24 : 0) : 0) : 14 + 40 + 8;
  const maxAddr = Math.min(255, Math.floor((DEFAULT_MTU - hdr) / (inst.family === 'inet' ? 4 : 16)));
  if (inst.virtualIps.length > maxAddr) {
    warn(
      `number of VIPs (${inst.virtualIps.length}) exceeds the space available in a packet (max ${maxAddr} addresses) - excess moved to eVIPs`,
      inst.locs['virtual_ipaddress'],
    );
    inst.excludedIps.push(...inst.virtualIps.splice(maxAddr));
  }

  if (inst.priority === PRIO_OWNER && inst.nopreempt) {
    warn(`nopreempt is incompatible with priority ${PRIO_OWNER} - resetting nopreempt`, inst.locs['nopreempt']);
    inst.nopreempt = false;
  }
  if (inst.initialState === 'MASTER') {
    if (inst.nopreempt) {
      warn('Warning - nopreempt will not work with initial state MASTER - clearing', inst.locs['nopreempt']);
      inst.nopreempt = false;
    }
    if (inst.preemptDelayS) {
      warn('Warning - preempt delay will not work with initial state MASTER - clearing', inst.locs['preempt_delay']);
      inst.preemptDelayS = 0;
    }
  }
  if (inst.preemptDelayS) {
    if (strict) {
      warn('preempt_delay is incompatible with strict mode - resetting', inst.locs['preempt_delay']);
      inst.preemptDelayS = 0;
    }
    if (inst.nopreempt) {
      warn('preempt_delay is incompatible with nopreempt mode - resetting', inst.locs['preempt_delay']);
      inst.preemptDelayS = 0;
    }
  }

  inst.downTimerAdverts ??= g.vrrpDownTimerAdverts;
  if (inst.downTimerAdverts !== 3 && strict) {
    warn('down_timer_adverts is incompatible with strict mode - resetting', inst.locs['down_timer_adverts']);
    inst.downTimerAdverts = 3;
  }

  inst.accept ??= inst.priority === PRIO_OWNER ? true : !strict;
  if (inst.accept && inst.priority !== PRIO_OWNER && strict && inst.version === 2) {
    warn('warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting', inst.locs['accept']);
    inst.accept = false;
  }

  if (!inst.unicast) inst.mcastGroup = inst.mcastDstIp ?? (inst.family === 'inet' ? g.vrrpMcastGroup4 : g.vrrpMcastGroup6);
  else if (inst.mcastDstIp !== undefined) {
    warn('multicast destination specified with unicast - ignoring it', inst.locs['mcast_dst_ip']);
    delete inst.mcastDstIp;
  }

  inst.garpMasterDelayS ??= g.vrrpGarpMasterDelayS;
  inst.garpMasterRepeat ??= g.vrrpGarpMasterRepeat;
  inst.garpMasterRefreshS ??= g.vrrpGarpMasterRefreshS;
  inst.garpMasterRefreshRepeat ??= g.vrrpGarpMasterRefreshRepeat;
  if (inst.garpLowerPrioRepeat === undefined) inst.garpLowerPrioRepeat = strict ? 0 : (g.vrrpGarpLowerPrioRepeat ?? g.vrrpGarpMasterRepeat);
  else if (strict && inst.garpLowerPrioRepeat) {
    warn('strict mode requires no repeat garps - resetting', inst.locs['garp_lower_prio_repeat']);
    inst.garpLowerPrioRepeat = 0;
  }
  if (inst.garpLowerPrioDelayS === undefined) inst.garpLowerPrioDelayS = strict ? 0 : (g.vrrpGarpLowerPrioDelayS ?? g.vrrpGarpMasterDelayS);
  else if (strict && inst.garpLowerPrioDelayS) {
    warn('strict mode requires no repeat garp delay - resetting', inst.locs['garp_lower_prio_delay']);
    inst.garpLowerPrioDelayS = 0;
  }
  if (inst.lowerPrioNoAdvert === undefined) inst.lowerPrioNoAdvert = strict ? true : g.vrrpLowerPrioNoAdvert;
  else if (strict && !inst.lowerPrioNoAdvert) {
    warn('strict mode requires no lower priority advert - resetting', inst.locs['lower_prio_no_advert']);
    inst.lowerPrioNoAdvert = true;
  }
  if (inst.higherPrioSendAdvert === undefined) inst.higherPrioSendAdvert = strict ? false : g.vrrpHigherPrioSendAdvert;
  else if (strict && inst.higherPrioSendAdvert) {
    warn('strict mode requires higher_prio_send_advert to be clear - resetting', inst.locs['higher_prio_send_advert']);
    inst.higherPrioSendAdvert = false;
  }
  inst.smtpAlert ??= g.smtpAlertVrrp ?? g.smtpAlert ?? false;
  const sg = inst.syncGroup !== undefined ? v.syncGroups.find((s) => s.name === inst.syncGroup) : undefined;
  inst.notifyPriorityChanges ??= sg?.notifyPriorityChanges ?? g.vrrpNotifyPriorityChanges;
  if (g.vrrpSkipCheckAdvAddr) inst.skipCheckAdvAddr = true;
  if (inst.garpExtraIfS === undefined) {
    inst.garpExtraIfS = g.vrrpGarpExtraIfS;
    if (g.vrrpGarpExtraIfAll) inst.garpExtraIfAll = true;
  }

  // Advert interval: VRRPv2 whole seconds below 256 s, VRRPv3 centiseconds below 40.96 s.
  const aloc = inst.locs['advert_int'];
  let adv = inst.advertIntS ?? 1;
  if (inst.version === 2) {
    if (adv >= 256) {
      warn(`VRRPv2 advertisement interval ${adv.toFixed(2)}s is out of range. Must be less than 256s. Setting to 255s`, aloc);
      adv = 255;
    } else if (!Number.isInteger(adv)) {
      warn(`VRRPv2 advertisement interval ${adv}s must be an integer - rounding`, aloc);
      adv = Math.max(1, Math.round(adv));
    }
  } else {
    const cs = Math.round(adv * 1e6) / 1e4;
    if (adv >= 40.96) {
      warn(`VRRPv3 advertisement interval ${adv.toFixed(2)}s is out of range. Must be less than 40.96s. Setting to 40.95s`, aloc);
      adv = 40.95;
    } else if (!Number.isInteger(cs)) {
      warn(`VRRPv3 advertisement interval ${adv}s must be in units of 10ms - rounding`, aloc);
      adv = Math.max(1, Math.round(cs)) / 100;
    }
  }
  inst.advertIntS = adv;

  if (!inst.srcIp) inst.trackSrcIp = false;

  if (inst.useVmac || inst.useIpvlan) {
    if (inst.useVmac && strict && inst.vmacXmitBase) {
      warn('vmac_xmit_base is incompatible with strict mode - resetting', inst.locs['vmac_xmit_base']);
      inst.vmacXmitBase = false;
    }
    if (inst.promoteSecondaries) {
      warn('promote_secondaries is automatically set for vmacs - ignoring', inst.locs['promote_secondaries']);
      inst.promoteSecondaries = false;
    }
    if (inst.useIpvlan && inst.family === 'inet6') {
      diag.info(`${n} use_ipvlan ${NOT_ACTED_ON}: no IPv6 ipvlan is built, the instance runs on its interface`, inst.locs['use_ipvlan']);
      inst.useIpvlan = false;
    } else if (inst.useIpvlan && inst.family === 'inet' && inst.ipvlan?.address === undefined) {
      warn('IPv4 ipvlan requires a source ip address to be configured - the instance will be in FAULT state', inst.locs['use_ipvlan']);
    }
  }
  // use_vmac is acted on for IPv4 only: the daemon runs an IPv6 instance on its interface, without a VMAC.

  inst.trackInterfaces = inst.trackInterfaces.filter((t) => {
    if (t.name !== inst.interface) return true;
    warn(`Ignoring track_interface ${t.name} since own interface`, t.loc);
    return false;
  });

  if (inst.vmacXmitBase && !inst.useVmac) {
    warn('vmac_xmit_base is only valid with a vmac - clearing', inst.locs['vmac_xmit_base']);
    inst.vmacXmitBase = false;
  }

  // In a sync group without sync_group_tracking_weight, or as address owner, weights are ignored.
  const sgNoWeight = sg !== undefined && !sg.trackingWeight;
  if (sgNoWeight || inst.priority === PRIO_OWNER) {
    const why = sgNoWeight ? 'SYNC group' : 'address owner';
    inst.trackInterfaces = inst.trackInterfaces.filter((t) => {
      if (!t.weight) return true;
      warn(`ignoring ${t.name} tracked interface ${sgNoWeight ? 'weight ' : ''}due to ${why}`, t.loc);
      if (sgNoWeight) t.weight = 0;
      return sgNoWeight;
    });
    inst.trackScripts = inst.trackScripts.filter((t) => {
      if (!t.weight) return true;
      warn(`ignoring tracked script ${t.name} with weights due to ${why}`, t.loc);
      return false;
    });
    inst.trackFiles = inst.trackFiles.filter((t) => {
      if (!t.weight) return true;
      const file = v.trackFiles.find((f) => f.name === t.name);
      if (!t.weightGiven && file?.weight === 1 && t.weight === 1) {
        warn(`ignoring weight from tracked file ${t.name} due to ${why} - specify weight 0`, t.loc);
        t.weight = 0;
        return true;
      }
      warn(`ignoring tracked file ${t.name} with weight ${t.weight} due to ${why}`, t.loc);
      return false;
    });
    inst.trackBfds = inst.trackBfds.filter((t) => {
      if (!t.weight) return true;
      warn(`ignoring tracked bfd ${t.name} with weight ${t.weight} due to ${why}`, t.loc);
      return false;
    });
  }
}

// ---------------------------------------------------------------------------------------------
// 7. VRID conflicts

function checkVridConflicts(v: VrrpConfig, g: GlobalDefs, ctx: ValidateContext): void {
  const list = v.instances;
  let conflict: string | undefined;
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const a = list[i]!;
      const b = list[j]!;
      if (a.family !== b.family || a.virtualRouterId !== b.virtualRouterId || a.unicast !== b.unicast) continue;
      if (a.unicast) {
        if (a.interface !== b.interface) continue;
        if (!a.srcIp || !b.srcIp || a.srcIp !== b.srcIp) continue;
        if (!a.unicastPeers.some((p) => b.unicastPeers.some((q) => q.address === p.address))) continue;
        const msg = `(${a.name}) duplicate VRID conflict with ${b.name} VRID ${a.virtualRouterId}`;
        ctx.diag.error(msg, b.loc);
        conflict ??= msg;
        continue;
      }
      if (a.interface !== b.interface) continue;
      const ma = a.mcastGroup ?? (a.family === 'inet' ? g.vrrpMcastGroup4 : g.vrrpMcastGroup6);
      const mb = b.mcastGroup ?? (b.family === 'inet' ? g.vrrpMcastGroup4 : g.vrrpMcastGroup6);
      if (ma !== mb) continue;
      const msg = `${a.name} and ${b.name} both use VRID ${a.virtualRouterId} with IPv${a.family === 'inet' ? 4 : 6} on interface ${a.interface}`;
      ctx.diag.error(msg, b.loc);
      conflict ??= msg;
    }
  }
  if (conflict !== undefined) {
    v.startupError = conflict;
    throw new Stop();
  }
}

// ---------------------------------------------------------------------------------------------
// 8. Sync group tracking (sync_group_tracking_init)

function syncGroupTracking(v: VrrpConfig, g: GlobalDefs, ctx: ValidateContext): void {
  for (const sg of v.syncGroups) {
    const members = v.instances.filter((i) => i.syncGroup === sg.name);
    if (members.length === 0) continue;
    if (members.some((i) => i.priority === PRIO_OWNER)) {
      const clear = (refs: { name: string; weight: number; loc: Loc }[], what: string): void => {
        for (const r of refs) {
          if (!r.weight) continue;
          ctx.diag.warn(`(${sg.name}) cannot have weighted track ${what} '${r.name}' with a member having priority ${PRIO_OWNER} - clearing the weight`, r.loc);
          r.weight = 0;
        }
      };
      clear(sg.trackScripts, 'script');
      clear(sg.trackFiles, 'file');
      clear(sg.trackProcesses, 'process');
      clear(sg.trackBfds, 'bfd');
      clear(sg.trackInterfaces, 'interface');
    }
    sg.smtpAlert ??= g.smtpAlertVrrp ?? g.smtpAlert ?? false;
  }
}

function resolveLvsSyncDaemon(v: VrrpConfig, g: GlobalDefs, ctx: ValidateContext): void {
  const sd = g.lvsSyncDaemon;
  if (!sd || sd.vrrpInstance === undefined) return;
  const inst = v.instances.find((i) => i.name === sd.vrrpInstance);
  if (!inst) {
    // keepalived only reports this when starting for real, not for -t.
    ctx.diag.info(`unable to find vrrp instance ${sd.vrrpInstance} for lvs_sync_daemon - the sync daemon will not run`, sd.loc);
    return;
  }
  sd.syncId ??= inst.virtualRouterId;
}
