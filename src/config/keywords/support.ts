/**
 * Keyword tables, pure: what the daemon does with every keyword the tables accept.
 *
 * One entry per keyword path: the keywords from the root down to it, joined by dots
 * (`global_defs.smtp_server`, `vrrp_instance.authentication.auth_type`,
 * `virtual_server.real_server.HTTP_GET.url.digest`). An entry says whether tskeepalived acts on the keyword:
 *   - acted:       the daemon does what keepalived does with it
 *   - not:         parsed and checked as keepalived checks it, then not acted on; `why` says what is missing.
 *                  The walker (walk.ts) reports every use with an info diagnostic at its file:line
 *                  (`KEYWORD is not acted on by tskeepalived: why`), which `-t` prints and the daemon logs as
 *                  a warning at start and on reload. Inside a block that is not acted on, only the block's
 *                  own line is reported.
 *   - conditional: acted on except in the case `why` names, which the validator reports with NOT_ACTED_ON
 *                  where it can tell (it depends on values or on other keywords).
 * `since` marks keywords of keepalived releases after 2.2.7: keepalived 2.2.7 does not know them, so besides
 * the report they get a warning, which keeps `-t`'s exit code what keepalived 2.2.7 gives ("Unknown keyword").
 *
 * test/unit/config/keyword-support.test.ts walks every table and fails when a keyword has no entry or an
 * entry names no keyword, so a keyword cannot be accepted and forgotten. scripts/keyword-docs.mjs writes the
 * README's "Keywords not acted on" section from this table.
 */
import { globalSupport } from './support-global.js';
import { lvsSupport } from './support-lvs.js';
import { vrrpSupport } from './support-vrrp.js';
import type { Support, SupportTable } from './support-kinds.js';

export type { Support, SupportTable } from './support-kinds.js';

export const keywordSupport: SupportTable = { ...globalSupport, ...vrrpSupport, ...lvsSupport };

/** The entry of a keyword path, if the table has one. */
export function supportOf(path: string): Support | undefined {
  return Object.hasOwn(keywordSupport, path) ? keywordSupport[path] : undefined;
}
