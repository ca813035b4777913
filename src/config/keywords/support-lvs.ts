/** Keyword tables, pure: support entries of the LVS blocks (virtual_server, real_server, checkers, SSL). */
import { ACTED, conditional, each, later, laterActed, not, type Support, type SupportTable } from './support-kinds.js';

const SNMP = not('SNMP is not built');
const RS = 'virtual_server.real_server';

const CONNECTION = ['connect_ip', 'connect_port', 'bindto', 'bind_port', 'bind_if', 'connect_timeout', 'fwmark'];
const TIMING = ['retry', 'delay_before_retry', 'warmup', 'delay_loop', 'alpha', 'log_all_failures'];

/** A checker block and its keywords, each with its own entry unless `own` says otherwise. */
function checker(name: string, keywords: readonly string[], own: SupportTable = {}, self: Support = ACTED): SupportTable {
  const prefix = `${RS}.${name}`;
  const out: SupportTable = { [prefix]: self, ...each(prefix, keywords, ACTED) };
  for (const [k, s] of Object.entries(own)) out[`${prefix}.${k}`] = s;
  return out;
}

const URL = ['path', 'digest', 'status_code', 'virtualhost', 'regex', 'regex_no_match', 'regex_min_offset', 'regex_max_offset'];

function http(name: 'HTTP_GET' | 'SSL_GET'): SupportTable {
  const url: SupportTable = {
    url: ACTED,
    ...each('url', URL, ACTED),
    'url.regex_options': conditional('only caseless is acted on: another option is reported where it is given'),
    'url.regex_stack': not('JavaScript regular expressions have no PCRE2 JIT stack to size'),
  };
  const tls: SupportTable =
    name === 'SSL_GET'
      ? {
          tls_compliant: later('2.2.8', 'TLS connections are closed as Node closes them'),
          'url.tls_compliant': later('2.2.8', 'TLS connections are closed as Node closes them'),
        }
      : {};
  // fast_recovery: every url is fetched in one attempt, with no delay between urls, which is what it asks for
  // (without it keepalived spaces the urls by delay_loop; that default is not reproduced either).
  return checker(name, [...CONNECTION, ...TIMING, 'nb_get_retry', 'virtualhost', 'http_protocol', 'enable_sni', 'fast_recovery'], {
    ...url,
    ...tls,
    sni_name: laterActed('after 2.4.3 (development)'),
  });
}

const PING_IGNORES = not("PING_CHECK ignores it, as keepalived's does");

export const lvsSupport: SupportTable = {
  SSL: ACTED,
  ...each('SSL', ['password', 'ca', 'certificate', 'key'], ACTED),
  virtual_server_group: ACTED,
  virtual_server: ACTED,
  ...each(
    'virtual_server',
    [
      'retry',
      'delay_before_retry',
      'warmup',
      'delay_loop',
      'connect_timeout',
      'ip_family',
      'inhibit_on_failure',
      'lb_algo',
      'lvs_sched',
      'hashed',
      'ops',
      'flag-1',
      'flag-2',
      'flag-3',
      'sh-port',
      'sh-fallback',
      'mh-port',
      'mh-fallback',
      'lb_kind',
      'lvs_method',
      'persistence_engine',
      'persistence_timeout',
      'persistence_granularity',
      'protocol',
      'ha_suspend',
      'virtualhost',
      'alpha',
      'quorum_up',
      'quorum_down',
      'quorum',
      'hysteresis',
      'weight',
      'sorry_server',
      'sorry_server_inhibit',
      'sorry_server_lvs_method',
      'real_server',
    ],
    ACTED,
  ),
  'virtual_server.smtp_alert': ACTED,
  'virtual_server.snmp_name': SNMP,
  'virtual_server.omega': not('no quorum_down or notify_down scripts are run when the daemon stops'),
  ...each(
    RS,
    [
      'retry',
      'delay_before_retry',
      'warmup',
      'delay_loop',
      'connect_timeout',
      'weight',
      'lvs_method',
      'uthreshold',
      'lthreshold',
      'inhibit_on_failure',
      'notify_up',
      'notify_down',
      'alpha',
      'virtualhost',
    ],
    ACTED,
  ),
  [`${RS}.smtp_alert`]: ACTED,
  [`${RS}.snmp_name`]: SNMP,
  ...checker('TCP_CHECK', [...CONNECTION, ...TIMING]),
  ...checker('PING_CHECK', [...CONNECTION, ...TIMING], {
    bindto: PING_IGNORES,
    bind_if: PING_IGNORES,
    bind_port: PING_IGNORES,
    connect_port: PING_IGNORES,
    fwmark: not('echo requests are not marked'),
  }),
  ...http('HTTP_GET'),
  ...http('SSL_GET'),
  ...checker('SMTP_CHECK', [...CONNECTION, ...TIMING, 'helo_name', 'host', ...[...CONNECTION, ...TIMING].map((k) => `host.${k}`)]),
  ...checker('MISC_CHECK', [...TIMING, 'misc_path', 'misc_timeout', 'misc_dynamic', 'user']),
  ...checker('DNS_CHECK', [...CONNECTION, ...TIMING, 'type', 'name']),
  ...checker('UDP_CHECK', [...CONNECTION, ...TIMING, 'payload', 'require_reply', 'min_reply_length', 'max_reply_length']),
  ...checker('FILE_CHECK', ['track_file', 'weight']),
  ...checker(
    'BFD_CHECK',
    [],
    { name: not('BFD_CHECK is not acted on'), alpha: not('BFD_CHECK is not acted on') },
    not('BFD is not built: the checker counts as passing'),
  ),
};
