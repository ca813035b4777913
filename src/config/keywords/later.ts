/**
 * Keyword tables: keywords of keepalived releases after 2.2.7 (2.2.8 to 2.4.x, and two of its development
 * branch), read with the argument checks keepalived's documentation gives them. Only sni_name is acted on; for
 * the others the support table (support-*.ts) says why not, and the walker reports every use with a
 * NOT_ACTED_ON info. Each use of any of them also gets a warning: keepalived 2.2.7 does not know them, so `-t`
 * exits as it does. A bad argument is an error, never a
 * stop (keepalived 2.2.7 would go on). Global ones are kept with their words in GlobalDefs.other.
 */
import type { HttpCheck } from '../model/lvs.js';
import type { BfdInstance, VrrpInstance } from '../model/vrrp.js';
import { block, value, type KwCtx, type Schema } from '../schema.js';
import { trueFalse } from './common.js';

/** An optional true/false word (absent = true); reports `bad` for anything else. */
function boolWord(c: KwCtx, bad: (w: string) => string): boolean {
  const w = c.opt(0);
  if (w === undefined || trueFalse(w) !== undefined) return true;
  c.error(bad(w));
  return false;
}

/** A whole number in [min, max] at word 0, or undefined (reporting `bad`) when absent or out of range. */
function whole(c: KwCtx, min: number, max: number, bad: string): number | undefined {
  const w = c.opt(0);
  const n = w !== undefined && /^\d+$/.test(w) ? Number(w) : undefined;
  if (n === undefined || n < min || n > max) {
    c.error(bad);
    return undefined;
  }
  return n;
}

/** Seconds with up to microsecond resolution, in [min, max]. */
function seconds(c: KwCtx, min: number, max: number): boolean {
  const w = c.opt(0);
  if (w === undefined || !/^(\d+(\.\d{0,6})?|\.\d{1,6})$/.test(w)) return false;
  const v = Number(w);
  return v >= min && v <= max;
}

function keep(c: KwCtx): void {
  const g = c.state.config.global;
  g.locs[c.keyword] = c.loc;
  g.other[c.keyword] = [...c.args];
}

const globalBool = value((c) => {
  if (boolWord(c, (w) => `invalid value '${w}' for global ${c.keyword} specified: expected true|false|on|off|yes|no`)) keep(c);
});

/** `KEYWORD PATH`: exactly one non-empty word. */
const globalPath = value((c) => {
  if (c.n !== 1 || c.args[0] === '') return c.error(`${c.keyword} requires a non-empty path`);
  keep(c);
});

const snmpStatsInterval = value((c) => {
  if (!seconds(c, 0.001, 30)) return c.error(`${c.keyword} '${c.opt(0) ?? ''}' invalid - ignoring: expected 0.001 to 30 seconds`);
  keep(c);
});

export const laterGlobalKeywords: Schema = {
  json_version: value((c) => {
    if (c.n < 1) return c.error('json_version requires version');
    if (whole(c, 1, 2, `invalid JSON version '${c.args[0]}': expected 1 or 2`) !== undefined) keep(c);
  }),
  json_dump_file: globalPath,
  state_dump_file: globalPath,
  stats_dump_file: globalPath,
  iproute_usr_dir: globalPath,
  iproute_etc_dir: globalPath,
  dbus_no_interface_name: value((c) => {
    if (c.n < 1) return c.error('dbus_no_interface_name missing - ignoring');
    keep(c);
  }),
  snmp_vs_stats_update_interval: snmpStatsInterval,
  snmp_rs_stats_update_interval: snmpStatsInterval,
  use_symlink_paths: globalBool,
  set_supplementary_groups: globalBool,
  v3_checksum_as_v2: globalBool,
  vrrp_owner_ignore_adverts: globalBool,
  vrrp_delay_after_boot: value((c) => {
    if (!seconds(c, 0.001, 4294.967295)) return c.error(`vrrp_delay_after_boot '${c.opt(0) ?? ''}' is invalid: expected seconds from 0.001`);
    keep(c);
  }),
};

type I = VrrpInstance;

const instanceBool = value<I>((c, t) => {
  boolWord(c, (w) => `(${t.name}) invalid ${c.keyword} ${w} specified: expected true|false|on|off|yes|no`);
});

const timerExpiredBackup = value<I>((c, t) => {
  if (c.keyword === 'thread_timer_expired') c.error(`(${t.name}) thread_timer_expired - please replace with keyword 'timer_expired_backup'`);
  if (c.n > 0) whole(c, 1, 254, `(${t.name}) timer_expired_backup highest_other_priority not valid! must be between 1 & 254`);
});

/** What an auth_hmac block has read so far (for the duplicate key check). */
interface HmacDraft {
  inst: I;
  keys: Set<number>;
}

const HMAC_KEY_MIN = 32;
const HMAC_KEY_MAX = 64;

/** The length in bytes of an auth_hmac key value, or undefined when it cannot be read. */
function hmacKeyLength(v: string): number | undefined {
  if (!v.startsWith('hex:')) return Buffer.byteLength(v);
  const hex = v.slice(4);
  return /^([0-9a-fA-F]{2})+$/.test(hex) ? hex.length / 2 : undefined;
}

const authHmacKeywords: Schema = {
  key: value<HmacDraft>((c, d) => {
    const n = d.inst.name;
    if (c.n < 2) return c.error(`(${n}) auth_hmac key needs an id and a value`);
    const id = whole(c, 1, 255, `(${n}) auth_hmac key id '${c.args[0]}' must be between 1 and 255`);
    if (id === undefined) return;
    const v = c.args[1]!;
    // A file: value is read by keepalived when it starts; the file is not read here.
    const len = v.startsWith('file:') ? HMAC_KEY_MIN : hmacKeyLength(v);
    if (len === undefined || len < HMAC_KEY_MIN || len > HMAC_KEY_MAX) {
      return c.error(`(${n}) auth_hmac key ${id} length ${len ?? 0} not in range [${HMAC_KEY_MIN}, ${HMAC_KEY_MAX}]`);
    }
    if (d.keys.has(id)) return c.error(`(${n}) duplicate auth_hmac key id ${id}`);
    d.keys.add(id);
  }),
  active_key: value<HmacDraft>((c, d) => {
    whole(c, 1, 255, `(${d.inst.name}) auth_hmac active_key '${c.opt(0) ?? ''}' must be between 1 and 255`);
  }),
  time_window: value<HmacDraft>((c, d) => {
    whole(c, 1, 300, `(${d.inst.name}) auth_hmac time_window '${c.opt(0) ?? ''}' must be between 1 and 300 seconds`);
  }),
  anti_replay: value<HmacDraft>((c, d) => {
    const w = c.opt(0);
    if (w !== 'time' && w !== 'monotonic') c.error(`(${d.inst.name}) auth_hmac anti_replay '${w ?? ''}' must be time or monotonic`);
  }),
  mode: value<HmacDraft>((c, d) => {
    const w = c.opt(0);
    if (w !== 'enforce' && w !== 'permissive' && w !== 'receive-only') {
      c.error(`(${d.inst.name}) auth_hmac mode '${w ?? ''}' must be enforce, permissive or receive-only`);
    }
  }),
};

export const laterInstanceKeywords: Schema = {
  no_virtual_ipaddress: value<I>(() => undefined),
  v3_checksum_as_v2: instanceBool,
  owner_ignore_adverts: instanceBool,
  timer_expired_backup: timerExpiredBackup,
  thread_timer_expired: timerExpiredBackup,
  auth_hmac: block<I, HmacDraft>(authHmacKeywords, (_c, t) => ({ inst: t, keys: new Set() })),
};

export const laterBfdKeywords: Schema = {
  multihop: value<BfdInstance>((c, b) => {
    boolWord(c, (w) => `BFD instance ${b.name} multihop setting not valid - ${w}`);
  }),
};

const tlsCompliant = value((c) => {
  boolWord(c, (w) => `invalid tls_compliant option ${w}: expected true|false|on|off|yes|no`);
});

/** `sni_name [NAME]`: SNI on, with NAME instead of the virtualhost when given (acted on). */
const sniName = value<HttpCheck>((c, ch) => {
  if (c.n >= 1) ch.sniName = c.args[0]!;
  else if (ch.sniName !== undefined) return c.error(`sni_name already specified as ${ch.sniName} - ignoring setting to default`);
  ch.enableSni = true;
});

/** HTTP_GET and SSL_GET: sni_name; SSL_GET also tls_compliant. */
export function laterHttpKeywords(type: 'HTTP_GET' | 'SSL_GET'): Schema {
  const sni: Schema = { sni_name: sniName };
  return type === 'SSL_GET' ? { ...sni, tls_compliant: tlsCompliant } : sni;
}

/** An SSL_GET url: tls_compliant. */
export const laterSslUrlKeywords: Schema = { tls_compliant: tlsCompliant };
