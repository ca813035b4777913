/**
 * Daemon layer, entry: `tskeepalived` in the foreground. Starts a Daemon (daemon.ts), writes the pid file,
 * turns signals into reloads and a graceful stop, and resolves with the exit status once stopped.
 */
import * as fs from 'node:fs';
import { Daemon, type RunOptions } from './daemon.js';
import { createLogger } from './log.js';

export type { RunOptions } from './daemon.js';

export async function runDaemon(o: RunOptions): Promise<number> {
  const log = createLogger(o.detail);
  const d = await Daemon.start(o, log);
  if (typeof d === 'number') return d;
  if (o.pidFile) fs.writeFileSync(o.pidFile, `${process.pid}\n`);

  // A daemon runs until it is told to stop, even with nothing else to wait on (an IPVS-only config).
  const alive = setInterval(() => undefined, 1 << 30);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (sig: string) => {
      if (stopping) return;
      stopping = true;
      log.info(`${sig} received: stopping`);
      await d.stop();
      if (o.pidFile) fs.rmSync(o.pidFile, { force: true });
      log.info('Stopped tskeepalived');
      clearInterval(alive);
      resolve(0);
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
    // SIGHUP: the new file is parsed and validated completely; a broken one keeps everything running.
    process.on('SIGHUP', () => {
      if (!stopping) void d.reload();
    });
  });
}
