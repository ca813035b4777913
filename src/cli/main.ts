/**
 * CLI layer: `tskeepalived`. Today it checks (-t) and dumps (-d) configurations; the daemon modes
 * arrive with the VRRP and IPVS issues and say so plainly until then.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { stringify as toYaml } from 'yaml';
import { formatDiagnostic, loadConfig } from '../config/index.js';
import { helpText, parseArgs, SIGNUMS, UsageError, type CliOptions } from './options.js';

const require = createRequire(import.meta.url);

function version(): string {
  const pkg = require('../../package.json') as { version: string };
  return `tskeepalived v${pkg.version} (keepalived 2.2.7 configuration compatible)`;
}

/** Parses the command line once and runs what it asks for; resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  let o: CliOptions;
  try {
    o = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`tskeepalived: ${e.message}\nTry 'tskeepalived --help'.\n`);
      return 2;
    }
    throw e;
  }
  if (o.help) {
    process.stdout.write(helpText() + '\n');
    return 0;
  }
  if (o.version) {
    process.stdout.write(version() + '\n');
    return 0;
  }
  if (o.signum !== undefined) {
    const n = SIGNUMS[o.signum.toUpperCase()];
    if (n === undefined) {
      process.stderr.write(`tskeepalived: unknown signal function '${o.signum}'\n`);
      return 2;
    }
    process.stdout.write(`${n}\n`);
    return 0;
  }

  if (o.configTest === false && !o.dumpConf) {
    // The daemon (loaded only when needed: it pulls in sockets and netlink).
    const { runDaemon } = await import('../daemon/run.js');
    const opts: import('../daemon/run.js').RunOptions = { file: o.useFile, detail: o.logDetail, vrrpOnly: o.vrrp, checkOnly: o.check, allConfig: o.allConfig, dontReleaseIpvs: o.dontReleaseIpvs, dontReleaseVrrp: o.dontReleaseVrrp };
    if (o.configId !== undefined) opts.configId = o.configId;
    if (o.pid !== undefined) opts.pidFile = o.pid;
    return runDaemon(opts);
  }

  const loadOpts = { ...(o.configId !== undefined ? { configId: o.configId } : {}), allConfig: o.allConfig };
  const res = loadConfig(o.useFile, loadOpts);

  if (o.configTest !== false) {
    const text = res.diagnostics.list.map(formatDiagnostic).join('\n');
    if (typeof o.configTest === 'string') {
      fs.writeFileSync(o.configTest, text ? text + '\n' : '');
    } else if (text) {
      process.stderr.write(text + '\n');
    }
    return res.exitCode;
  }

  for (const d of res.diagnostics.list) {
    if (d.severity !== 'info') process.stderr.write(formatDiagnostic(d) + '\n');
  }

  // --dump-conf
  if (o.format === 'yaml') process.stdout.write(toYaml(res.config, { aliasDuplicateObjects: false }));
  else process.stdout.write(JSON.stringify(res.config, null, 2) + '\n');
  return res.exitCode === 2 || res.exitCode === 4 ? res.exitCode : 0;
}
