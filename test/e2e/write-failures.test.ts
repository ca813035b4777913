/**
 * Files the daemon cannot write: each in a private mount namespace (unshare -m -n) over a tmpfs made for the
 * test. A pid file on a read-only file system stops the start (exit 4, as keepalived stops) with a message
 * naming the file and the cause; a dump on a full file system is one error line naming the file and ENOSPC,
 * leaves no partial temporary file, and the daemon runs on (the next dump, once there is room, is written).
 * Needs root and unshare; skips, saying so, otherwise.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = path.resolve(__dirname, '../../bin/tskeepalived.js');
const canRun = process.getuid?.() === 0 && spawnSync('unshare', ['-m', '-n', 'true']).status === 0;
if (!canRun) console.log('write-failure tests skipped: they need root and unshare');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-wf-'));
const conf = path.join(dir, 'keepalived.conf');
const mnt = path.join(dir, 'mnt');
fs.writeFileSync(conf, 'global_defs {\n  router_id wf\n}\n');
fs.mkdirSync(mnt);

/** Runs `script` (sh) in its own mount and network namespaces; $TSK is the daemon command. */
function inNamespace(script: string): { out: string; status: number | null } {
  const r = spawnSync('unshare', ['-m', '-n', 'sh', '-c', script], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, TSK: `${process.execPath} ${BIN}`, MNT: mnt, CONF: conf },
  });
  return { out: r.stdout + r.stderr, status: r.status };
}

describe.skipIf(!canRun)('files the daemon cannot write', () => {
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a pid file on a read-only file system: not started, exit 4, the file and the cause named', () => {
    const r = inNamespace('mount -t tmpfs -o ro tmpfs "$MNT" && $TSK -n -l -f "$CONF" -p "$MNT/tsk.pid" --status-socket none; echo "exit $?"');
    expect(r.out).toContain(`pid file: cannot write ${mnt}/tsk.pid: EROFS (read-only file system) - not starting`);
    expect(r.out).toMatch(/^exit 4$/m);
  });

  it('a dump on a full file system: one line naming the file and ENOSPC, no partial file, the daemon runs on', () => {
    const r = inNamespace(`mount -t tmpfs -o size=16k tmpfs "$MNT" && dd if=/dev/zero of="$MNT/fill" bs=1k count=64 2>/dev/null
      $TSK -n -l -f "$CONF" -p /run/tsk-wf-$$.pid --status-socket none --dump-dir "$MNT" & pid=$!
      for i in $(seq 50); do [ -s /run/tsk-wf-$$.pid ] && break; sleep 0.1; done; sleep 0.5
      kill -USR1 $pid; sleep 1; echo "files: $(ls "$MNT" | tr '\\n' ' ')"
      rm "$MNT/fill"; kill -USR1 $pid; sleep 1; echo "files: $(ls "$MNT" | tr '\\n' ' ')"
      kill $pid; wait $pid; echo "exit $?"`);
    expect(r.out).toContain(`Error: data dump not written: cannot write ${mnt}/keepalived.data: ENOSPC (no space left on device)`);
    const files = [...r.out.matchAll(/^files: (.*)$/gm)].map((m) => m[1]!.trim());
    expect(files[0]).toBe('fill'); // nothing else: no partial temporary file
    expect(files[1]).toBe('keepalived.data keepalived.json'); // with room again, both dumps written
    expect(r.out).toMatch(/^exit 0$/m);
  });
});
