import { describe, expect, it } from 'vitest';
import { OPTIONS, parseArgs, UsageError } from '../../../src/cli/options.js';

describe('keepalived command line', () => {
  it('parses the forms keepalived accepts', () => {
    const o = parseArgs(['-nlD', '-f', '/tmp/k.conf', '--pid=/run/k.pid', '-r/run/v.pid', '-i', 'main', '--dont-release-ipvs']);
    expect(o).toMatchObject({
      dontFork: true,
      logConsole: true,
      logDetail: true,
      useFile: '/tmp/k.conf',
      pid: '/run/k.pid',
      vrrpPid: '/run/v.pid',
      configId: 'main',
      dontReleaseIpvs: true,
    });
  });
  it('takes -t with and without a log file', () => {
    expect(parseArgs(['-t']).configTest).toBe(true);
    expect(parseArgs(['--config-test=/tmp/log']).configTest).toBe('/tmp/log');
    expect(parseArgs(['-t/tmp/log']).configTest).toBe('/tmp/log');
    expect(parseArgs([]).configTest).toBe(false);
  });
  it('defaults to /etc/keepalived/keepalived.conf and json dumps', () => {
    expect(parseArgs([]).useFile).toBe('/etc/keepalived/keepalived.conf');
    expect(parseArgs(['-d', '--format', 'yaml']).format).toBe('yaml');
  });
  it('rejects unknown options and bad values with a usage error', () => {
    expect(() => parseArgs(['--bogus'])).toThrow(UsageError);
    expect(() => parseArgs(['-q'])).toThrow(/unknown option '-q'/);
    expect(() => parseArgs(['-f'])).toThrow(/needs a value/);
    expect(() => parseArgs(['--format=xml'])).toThrow(/json or yaml/);
  });
  it('knows every keepalived 2.2.7 long option', () => {
    const longs = new Set(OPTIONS.map((o) => o.long));
    for (const l of [
      'use-file',
      'vrrp',
      'check',
      'no_bfd',
      'all',
      'log-console',
      'log-detail',
      'log-facility',
      'no-syslog',
      'umask',
      'release-vips',
      'dont-release-vrrp',
      'dont-release-ipvs',
      'dont-respawn',
      'dont-fork',
      'dump-conf',
      'pid',
      'vrrp_pid',
      'genhash',
      'checkers_pid',
      'address-monitoring',
      'bfd_pid',
      'snmp',
      'snmp-agent-socket',
      'namespace',
      'core-dump',
      'core-dump-pattern',
      'all-config',
      'config-id',
      'signum',
      'config-test',
      'version',
      'help',
    ])
      expect(longs.has(l)).toBe(true);
  });
});
