/**
 * Util, edge: a file replaced whole or not at all (pid files, dumps, the handover state). The text goes to
 * FILE.PID.tmp, which is renamed over FILE; when a step fails (a full disk, a read-only or missing directory)
 * the partial temporary file is removed and the error names FILE and the cause, e.g.
 * "cannot write /tmp/keepalived.data: ENOSPC (no space left on device)".
 */
import * as fs from 'node:fs';

export class WriteError extends Error {
  constructor(
    readonly file: string,
    readonly code: string,
    cause: unknown,
  ) {
    super(`cannot write ${file}: ${code}${describe(cause)}`, { cause });
  }
}

function describe(e: unknown): string {
  const m = /^[A-Z]+: ([^,]+)/.exec(e instanceof Error ? e.message : '');
  return m ? ` (${m[1]})` : '';
}

export function writeFileAtomic(file: string, text: string, mode = 0o644): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, text, { mode });
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new WriteError(file, (e as NodeJS.ErrnoException).code ?? 'EIO', e);
  }
}
