/**
 * Util, edge: loads one of the project's own N-API addons (native/NAME.c, built into dist/native/NAME.node by
 * scripts/build-native.mjs). From the compiled modules (dist/util) and from the bundle (dist/app) the addons
 * are at ../native; from the sources (tests import src/util) at ../../dist/native. TSKEEPALIVED_NATIVE=0 in the
 * environment leaves them all unloaded.
 */
import { createRequire } from 'node:module';
import { errorText } from './errors.js';

/** The addon NAME, or why it cannot be loaded (the first error's first line). */
export function loadNativeAddon<A>(name: string): { addon: A } | { error: string } {
  if (process.env.TSKEEPALIVED_NATIVE === '0') return { error: 'TSKEEPALIVED_NATIVE=0' };
  const require = createRequire(import.meta.url);
  let error: string | undefined;
  for (const rel of [`../native/${name}.node`, `../../dist/native/${name}.node`]) {
    try {
      return { addon: require(rel) as A };
    } catch (e) {
      error ??= errorText(e).split('\n')[0];
    }
  }
  return { error: error ?? `${name}.node not found` };
}
