/**
 * Config layer: defaults and checks for the global part of the model (global_defs and the
 * root-level globals), against the machine through ctx.env.
 *
 * - `script_user USER [GROUP]` naming a user or group that does not exist: keepalived says
 *   "Error setting global script uid/gid" and from then on every script without its own user is
 *   dropped (validate/vrrp.ts and the checker side read `scriptUserError`).
 * - startup/shutdown scripts are registered for the script checks (kind 'startup').
 * - values that default to other values (vrrp_garp_lower_prio_*) are resolved.
 */
import type { KeepalivedConfig } from '../model.js';
import type { GlobalDefs, NotifyFifo } from '../model/global.js';
import type { Script } from '../schema.js';
import type { ValidateContext } from './context.js';

/**
 * Whether a notify-type script (notify*, *_notify_fifo_script, startup/shutdown) can get a user to
 * run as, as keepalived's notify_script_init() decides: its own `USER [GROUP]` words must exist;
 * without them the global script_user must be valid. keepalived only logs these failures, so they
 * are said for information and the script is dropped.
 */
export function notifyScriptUserOk(script: Script, what: string, g: GlobalDefs, ctx: ValidateContext): boolean {
  const { env, diag } = ctx;
  if (script.user !== undefined) {
    if (!env.userExists(script.user) || (script.group !== undefined && !env.groupExists(script.group))) {
      const who = script.group !== undefined ? `user '${script.user}' / group '${script.group}'` : `user '${script.user}'`;
      diag.info(
        `invalid user/group for ${what} ${script.argv[0]} - ignoring it (${who} does not exist; quote the script if '${script.user}' is one of its arguments)`,
        script.loc,
      );
      return false;
    }
    return true;
  }
  if (g.scriptUserError) {
    diag.info(`failed to set the default user for ${what} ${script.argv[0]} - ignoring it`, script.loc);
    return false;
  }
  return true;
}

function checkFifoUser(fifo: NotifyFifo | undefined, what: string, ctx: ValidateContext, g: GlobalDefs): void {
  if (!fifo || fifo.name === undefined) return;
  const bad =
    fifo.user !== undefined ? !ctx.env.userExists(fifo.user) || (fifo.group !== undefined && !ctx.env.groupExists(fifo.group)) : g.scriptUserError === true;
  if (bad) {
    ctx.diag.info(`invalid user/group for ${what} ${fifo.name} - ignoring it`, fifo.loc);
    delete fifo.name;
  }
}

export function validateGlobal(config: KeepalivedConfig, ctx: ValidateContext): void {
  const g = config.global;
  const { env, diag } = ctx;

  if (g.scriptUser !== undefined) {
    const badUser = !env.userExists(g.scriptUser);
    const badGroup = g.scriptGroup !== undefined && !env.groupExists(g.scriptGroup);
    if (badUser || badGroup) {
      const why = badUser ? `script user '${g.scriptUser}' does not exist` : `script group '${g.scriptGroup}' does not exist`;
      diag.error(`Error setting global script uid/gid: ${why}`, g.locs['script_user']);
      g.scriptUserError = true;
      delete g.scriptUser;
      delete g.scriptGroup;
    }
  }

  g.vrrpGarpLowerPrioDelayS ??= g.vrrpGarpMasterDelayS;
  g.vrrpGarpLowerPrioRepeat ??= g.vrrpGarpMasterRepeat;

  checkFifoUser(g.notifyFifo, 'notify_fifo', ctx, g);
  checkFifoUser(g.vrrpNotifyFifo, 'vrrp_notify_fifo', ctx, g);
  checkFifoUser(g.lvsNotifyFifo, 'lvs_notify_fifo', ctx, g);

  for (const [field, name] of [
    ['startupScript', 'startup script'],
    ['shutdownScript', 'shutdown script'],
  ] as const) {
    const s = g[field];
    if (!s) continue;
    if (!notifyScriptUserOk(s, name, g, ctx)) {
      delete g[field];
      continue;
    }
    ctx.scripts.push({ script: s, kind: 'startup', owner: name, disable: () => delete g[field] });
  }
}
