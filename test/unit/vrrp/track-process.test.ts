/** Unit tests, VRRP layer: vrrp_track_process matching, quorum and fork/terminate delays (pure + fake /proc). */
import { describe, expect, it } from 'vitest';
import type { TrackProcess } from '../../../src/config/model/vrrp.js';
import { ProcessTracker, processMatches, processQuorumUp, type ProcInfo } from '../../../src/vrrp/track-process.js';

const def = (d: Partial<TrackProcess>): TrackProcess => ({
  name: 'p',
  process: 'haproxy',
  params: [],
  paramMatch: 'none',
  weight: 0,
  weightReverse: false,
  quorum: 1,
  quorumMax: 2 ** 32 - 1,
  fullCommand: false,
  loc: {} as never,
  ...d,
});
const proc = (comm: string, ...argv: string[]): ProcInfo => ({ comm, argv });

describe('processMatches', () => {
  it('by name: exact, on the 15-character comm', () => {
    expect(processMatches(def({}), proc('haproxy', '/usr/sbin/haproxy', '-f', 'x'))).toBe(true);
    expect(processMatches(def({}), proc('haproxy-wrapper', 'x'))).toBe(false);
    expect(processMatches(def({ process: 'ssh' }), proc('sshd', 'sshd'))).toBe(false); // not a pgrep regex
    expect(processMatches(def({ process: 'a-very-long-process-name' }), proc('a-very-long-pro', 'x'))).toBe(true);
  });
  it('with parameters or full_command: argv[0] and the parameters', () => {
    const p = proc('haproxy', '/usr/sbin/haproxy', '-f', '/etc/haproxy.cfg', '-D');
    expect(processMatches(def({ process: '/usr/sbin/haproxy', fullCommand: true }), p)).toBe(true);
    expect(processMatches(def({ process: '/usr/sbin/haproxy', params: ['-f', '/etc/haproxy.cfg', '-D'], paramMatch: 'exact' }), p)).toBe(true);
    expect(processMatches(def({ process: '/usr/sbin/haproxy', params: ['-f', '/etc/haproxy.cfg'], paramMatch: 'exact' }), p)).toBe(false);
    expect(processMatches(def({ process: '/usr/sbin/haproxy', params: ['-f', '/etc/haproxy.cfg'], paramMatch: 'partial' }), p)).toBe(true);
    expect(processMatches(def({ process: '/usr/sbin/haproxy', params: ['-f', '/etc/hap'], paramMatch: 'initial' }), p)).toBe(true);
    expect(processMatches(def({ process: '/usr/sbin/haproxy', params: ['-x'], paramMatch: 'initial' }), p)).toBe(false);
    // param_match without parameters: the command must have none.
    expect(processMatches(def({ process: '/usr/sbin/haproxy', paramMatch: 'exact' }), p)).toBe(false);
    expect(processMatches(def({ process: '/usr/sbin/haproxy', paramMatch: 'exact' }), proc('haproxy', '/usr/sbin/haproxy'))).toBe(true);
  });
  it('quorum and quorum_max', () => {
    expect(processQuorumUp(def({ quorum: 2 }), 1)).toBe(false);
    expect(processQuorumUp(def({ quorum: 2 }), 3)).toBe(true);
    expect(processQuorumUp(def({ quorum: 0, quorumMax: 0 }), 1)).toBe(false); // "failure if running at all"
    expect(processQuorumUp(def({ quorum: 0, quorumMax: 0 }), 0)).toBe(true);
  });
});

describe('ProcessTracker', () => {
  it('applies fork_delay going up and terminate_delay going down, and ignores a bounce', () => {
    let procs: ProcInfo[] = [];
    let changes = 0;
    const t = new ProcessTracker(
      [def({ forkDelayS: 1, terminateDelayS: 2 })],
      () => changes++,
      { info: () => {} },
      () => procs,
    );
    expect(t.isUp('p')).toBe(false);
    procs = [proc('haproxy', 'haproxy')];
    t.tick(0);
    t.tick(900);
    expect(t.isUp('p')).toBe(false);
    t.tick(1000);
    expect(t.isUp('p')).toBe(true);
    expect(changes).toBe(1);
    procs = [];
    t.tick(5000);
    procs = [proc('haproxy', 'haproxy')]; // re-forked before terminate_delay ran out
    t.tick(6000);
    procs = [];
    t.tick(6500);
    t.tick(8000);
    expect(t.isUp('p')).toBe(true);
    t.tick(8500);
    expect(t.isUp('p')).toBe(false);
    expect(changes).toBe(2);
  });
});
