/**
 * Config layer: script checks shared by VRRP and the checkers, with keepalived's verdicts.
 *
 * - A script that cannot be found or executed is disabled (for a vrrp_script this is an error,
 *   "Disabling track script X since not found/accessible"; for notify and checker scripts it is said
 *   for information).
 * - With `enable_script_security`, a script run as root that a non-root user could modify is disabled,
 *   and if the default user `keepalived_script` does not exist, scripts without a user are disabled.
 * - Without `enable_script_security`, any script that will really be executed is a SECURITY VIOLATION
 *   (exit 6 for `-t`), reported once for VRRP-side and once for checker-side scripts.
 */
import type { GlobalDefs } from '../model/global.js';
import type { ScriptUse, ValidateContext } from './context.js';

export interface ScriptPolicy {
  scriptSecurity: boolean;
  /** `script_user` from global_defs, if set and valid. */
  scriptUser?: string;
}

export function scriptPolicy(g: GlobalDefs): ScriptPolicy {
  const p: ScriptPolicy = { scriptSecurity: g.enableScriptSecurity === true };
  if (g.scriptUser !== undefined) p.scriptUser = g.scriptUser;
  return p;
}

export function checkScripts(ctx: ValidateContext, policy: ScriptPolicy): void {
  const { diag, env } = ctx;
  let defaultUserFailed = false;
  let defaultUserChecked = false;
  let vrrpExecuted = false;
  let checkExecuted = false;
  let startupExecuted = false;

  for (const use of ctx.scripts) {
    const argv0 = use.script.argv[0]!;
    const explicitUser = use.script.user ?? policy.scriptUser;
    if (explicitUser === undefined) {
      if (!defaultUserChecked) {
        defaultUserChecked = true;
        if (!env.userExists('keepalived_script') && policy.scriptSecurity) {
          diag.error(
            'unable to set default user keepalived_script for script: the user does not exist (create it, or set script_user in global_defs)',
            use.script.loc,
          );
          defaultUserFailed = true;
        }
      }
      if (defaultUserFailed) {
        use.disable?.();
        continue;
      }
    }
    const found = env.findScript(argv0);
    switch (found.status) {
      case 'system':
        continue;
      case 'notfound':
      case 'notexecutable': {
        const why = found.status === 'notfound' ? found.reason : `script ${found.path} is not executable`;
        if (use.kind === 'track') {
          diag.error(`disabling ${use.owner} since ${argv0} is not found/accessible (${why})`, use.script.loc);
        } else {
          diag.info(`disabling ${use.kind} script ${argv0} of ${use.owner}: ${why}`, use.script.loc);
        }
        use.disable?.();
        continue;
      }
      case 'found': {
        const runsAsRoot = explicitUser === undefined ? !env.userExists('keepalived_script') : explicitUser === 'root' || explicitUser === '0';
        if (policy.scriptSecurity && runsAsRoot && found.insecure) {
          const msg = `disabling ${use.owner}: ${found.path} runs as root but a non-root user could modify it`;
          if (use.kind === 'track') diag.error(msg, use.script.loc);
          else diag.info(msg, use.script.loc);
          use.disable?.();
          continue;
        }
        if (use.kind === 'check') checkExecuted = true;
        else if (use.kind === 'startup') startupExecuted = true;
        else vrrpExecuted = true;
      }
    }
  }

  if (!policy.scriptSecurity) {
    const hint = ' (add enable_script_security to global_defs)';
    if (vrrpExecuted) diag.security(`SECURITY VIOLATION - scripts are being executed but script_security not enabled${hint}`);
    if (checkExecuted) diag.security(`SECURITY VIOLATION - check scripts are being executed but script_security not enabled${hint}`);
    if (startupExecuted) diag.security(`SECURITY VIOLATION - start/shutdown scripts are being executed but script_security not enabled${hint}`);
  }
}

export type { ScriptUse };
