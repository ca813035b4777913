import { describe, expect, it } from 'vitest';
import { NetlinkError } from '../../../src/net/netlink/errors.js';
import {
  ConfigError,
  errorText,
  exitStatusOf,
  NotRunningError,
  PermissionError,
  reportText,
  ScriptError,
  TskError,
  UsageError,
} from '../../../src/util/errors.js';

describe('errors: kinds, codes and exit statuses', () => {
  it('each kind has its stable code and exit status', () => {
    const cases: Array<[TskError, string, number]> = [
      [new UsageError('unknown option'), 'TSK_USAGE', 2],
      [new ConfigError('cannot be run'), 'TSK_CONFIG', 4],
      [new NotRunningError('no daemon'), 'TSK_NOT_RUNNING', 3],
      [new PermissionError('run as root'), 'TSK_PERMISSION', 1],
      [new ScriptError('not executable'), 'TSK_SCRIPT', 1],
    ];
    for (const [e, code, status] of cases) {
      expect(e).toBeInstanceOf(TskError);
      expect(e.kindCode).toBe(code);
      expect(e.exitStatus).toBe(status);
      expect(exitStatusOf(e)).toBe(status);
      expect(reportText(e)).toBe(`${code}: ${e.message}`);
    }
  });

  it('a netlink refusal is a kernel error by errno, or a permission error for EPERM', () => {
    const exists = new NetlinkError(17, 'adding 192.0.2.1/24 to eth0');
    expect(exists.kind).toBe('kernel');
    expect(exists.code).toBe('EEXIST');
    expect(exists.message).toBe('adding 192.0.2.1/24 to eth0: EEXIST (file already exists)');
    expect(reportText(exists)).toBe('TSK_KERNEL: adding 192.0.2.1/24 to eth0: EEXIST (file already exists)');
    const perm = new NetlinkError(1, 'adding 192.0.2.1/24 to eth0');
    expect(perm.kind).toBe('permission');
    expect(perm.code).toBe('EPERM');
  });

  it('anything thrown has a text; what is not ours exits 1', () => {
    expect(errorText(new Error('boom'))).toBe('boom');
    expect(errorText('a string')).toBe('a string');
    expect(errorText(42)).toBe('42');
    expect(errorText(undefined)).toBe('undefined');
    expect(reportText(new Error('plain'))).toBe('plain');
    expect(exitStatusOf(new Error('plain'))).toBe(1);
    expect(exitStatusOf('thrown string')).toBe(1);
  });

  it('keeps the cause', () => {
    const root = new Error('ECONNREFUSED');
    expect(new NotRunningError('no daemon', { cause: root }).cause).toBe(root);
  });
});
