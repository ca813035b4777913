/**
 * Util layer, edge: user and group names to numeric ids, for running scripts as `script_user` or a
 * script's own `user [group]` (keepalived's getpwnam/getgrnam). Node has no getpwnam, so /etc/passwd and
 * /etc/group are read (NSS sources such as LDAP are not consulted: numeric ids always work).
 */
import * as fs from 'node:fs';

export interface Identity {
  uid: number;
  gid: number;
}

function lookup(file: string, name: string): string[] | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === name) return f;
  }
  return undefined;
}

/**
 * The ids to run as `user` (name or number) and optional `group`; the user's primary group when no group
 * is given. Throws an Error naming what does not exist.
 */
export function resolveIdentity(user: string, group?: string, files = { passwd: '/etc/passwd', group: '/etc/group' }): Identity {
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(user)) {
    uid = Number(user);
    const byId = fs.existsSync(files.passwd)
      ? fs
          .readFileSync(files.passwd, 'utf8')
          .split('\n')
          .map((l) => l.split(':'))
          .find((f) => f[2] === user)
      : undefined;
    if (byId) gid = Number(byId[3]);
  } else {
    const pw = lookup(files.passwd, user);
    if (!pw) throw new Error(`user '${user}' does not exist`);
    uid = Number(pw[2]);
    gid = Number(pw[3]);
  }
  if (group !== undefined) {
    if (/^\d+$/.test(group)) gid = Number(group);
    else {
      const gr = lookup(files.group, group);
      if (!gr) throw new Error(`group '${group}' does not exist`);
      gid = Number(gr[2]);
    }
  }
  return { uid, gid: gid ?? uid };
}
