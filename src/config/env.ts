/**
 * Config layer: what validation needs to know about the machine, behind an interface.
 *
 * keepalived's config test looks at the system: do the interfaces exist, can the scripts be found and
 * run, does the script user exist. The validators ask a SystemEnv so they stay pure; `hostEnv` reads the
 * real machine, tests pass their own.
 */
import type { Stats } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** node:fs itself, not its ES module facade (which loads fs's stream classes): `-t` starts faster. */
const fs = process.getBuiltinModule('node:fs');

export type ScriptLookup =
  | { status: 'system' } // `</path` file-open test, never executed
  | { status: 'notfound'; reason: string }
  | { status: 'notexecutable'; path: string }
  | { status: 'found'; path: string /** writable by someone other than root along its path */; insecure: boolean };

export interface SystemEnv {
  interfaceExists(name: string): boolean;
  findScript(argv0: string): ScriptLookup;
  userExists(name: string): boolean;
  groupExists(name: string): boolean;
  /** Node name up to the first dot: keepalived's default config-id. */
  shortHostname(): string;
}

function readNames(file: string): Set<string> {
  try {
    return new Set(
      fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .map((l) => l.split(':')[0]!)
        .filter((n) => n !== ''),
    );
  } catch {
    return new Set();
  }
}

function insecurePath(p: string): boolean {
  // keepalived refuses root-run scripts that a non-root user could modify or replace:
  // the file and every directory above it must be owned by root and not group/other writable.
  let cur = p;
  for (;;) {
    let st: Stats;
    try {
      st = fs.statSync(cur);
    } catch {
      return true;
    }
    if (st.uid !== 0 || (st.mode & 0o022) !== 0) {
      // a sticky, root-owned directory like /tmp is still unsafe for a script path
      return true;
    }
    const up = path.dirname(cur);
    if (up === cur) return false;
    cur = up;
  }
}

function netDevices(netns?: string): Set<string> {
  if (netns !== undefined) {
    // Another network namespace's devices: `ip -n NAME link`, names before the '@' of a veth peer.
    const r = process.getBuiltinModule('node:child_process').spawnSync('ip', ['-n', netns, '-o', 'link', 'show'], { encoding: 'utf8' });
    return new Set(
      r.status === 0
        ? r.stdout
            .split('\n')
            .map((l) => /^\d+: ([^:@\s]+)/.exec(l)?.[1])
            .filter((n): n is string => n !== undefined)
        : [],
    );
  }
  try {
    return new Set(
      fs
        .readFileSync('/proc/self/net/dev', 'utf8')
        .split('\n')
        .slice(2)
        .map((l) => l.split(':')[0]!.trim())
        .filter((n) => n !== ''),
    );
  } catch {
    return new Set();
  }
}

/**
 * This machine. With `netns` (net_namespace, -s), interfaces are those of that network namespace, where
 * the daemon will work, if it exists (otherwise this process's own: the daemon refuses a missing one).
 */
export function hostEnv(netns?: string): SystemEnv {
  let users: Set<string> | undefined;
  let groups: Set<string> | undefined;
  const ns = netns !== undefined && fs.existsSync(`/run/netns/${netns}`) ? netns : undefined;
  return {
    // /proc/self/net/dev follows the network namespace of this process (sysfs follows the mounter's).
    interfaceExists: (name) => netDevices(ns).has(name),
    findScript(argv0) {
      if (/^<\s*\//.test(argv0)) return { status: 'system' };
      let file = argv0;
      if (!argv0.includes('/')) {
        const dirs = (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':');
        const hit = dirs.map((d) => path.join(d, argv0)).find((f) => fs.existsSync(f));
        if (!hit) return { status: 'notfound', reason: `cannot find script ${argv0} in path` };
        file = hit;
      }
      let real: string;
      try {
        real = fs.realpathSync(file);
      } catch (e) {
        return { status: 'notfound', reason: `script ${argv0} cannot be accessed - ${(e as NodeJS.ErrnoException).code}` };
      }
      try {
        fs.accessSync(real, fs.constants.X_OK);
      } catch {
        return { status: 'notexecutable', path: real };
      }
      return { status: 'found', path: real, insecure: insecurePath(real) };
    },
    userExists(name) {
      users ??= readNames('/etc/passwd');
      return users.has(name) || /^\d+$/.test(name);
    },
    groupExists(name) {
      groups ??= readNames('/etc/group');
      return groups.has(name) || /^\d+$/.test(name);
    },
    shortHostname: () => os.hostname().split('.')[0] ?? '',
  };
}

/** An environment where everything exists: for unit tests of parsing alone. */
export const permissiveEnv: SystemEnv = {
  interfaceExists: () => true,
  findScript: (argv0) => ({ status: 'found', path: argv0, insecure: false }),
  userExists: () => true,
  groupExists: () => true,
  shortHostname: () => 'localhost',
};
