/** The built `tskeepalived` binary: exit codes and messages of -t, dumps, and the other entry points. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const BIN = path.resolve(__dirname, '../../bin/tskeepalived.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { rc: r.status, out: r.stdout, err: r.stderr };
}
function conf(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

describe('tskeepalived binary', () => {
  it('prints its version and help', () => {
    expect(run(['-v']).out).toMatch(/^tskeepalived v\d+\.\d+\.\d+/);
    const h = run(['--help']);
    expect(h.rc).toBe(0);
    expect(h.out).toContain('--config-test');
  });
  it('-t exits 0 on a clean file and 5 on an unknown keyword, naming file:line and a suggestion', () => {
    const ok = conf('ok.conf', 'global_defs {\n  router_id r1\n}\n');
    expect(run(['-t', '-f', ok]).rc).toBe(0);
    const bad = conf('bad.conf', 'global_defs {\n  router_idd r1\n}\n');
    const r = run(['-t', '-f', bad]);
    expect(r.rc).toBe(5);
    expect(r.err).toContain(`${bad}:2:`);
    expect(r.err).toContain("did you mean 'router_id'");
  });
  it('-t exits 4 when the file cannot be read', () => {
    const r = run(['-t', '-f', path.join(dir, 'nope.conf')]);
    expect(r.rc).toBe(4);
    expect(r.err).toMatch(/cannot read configuration file/);
  });
  it('-t=LOGFILE writes the messages to the file', () => {
    const bad = conf('bad2.conf', 'bogus_keyword 1\n');
    const log = path.join(dir, 'log.txt');
    expect(run([`--config-test=${log}`, '-f', bad]).rc).toBe(5);
    expect(fs.readFileSync(log, 'utf8')).toContain('bogus_keyword');
  });
  it('-d prints the resolved model as json or yaml', () => {
    const ok = conf('d.conf', 'global_defs {\n  router_id r9\n}\n');
    const j = JSON.parse(run(['-d', '-f', ok]).out);
    expect(j.global.routerId).toBe('r9');
    const y = parseYaml(run(['-d', '--format', 'yaml', '-f', ok]).out);
    expect(y.global.routerId).toBe('r9');
  });
  it('-i selects @id lines', () => {
    const c = conf('id.conf', 'global_defs {\n@a router_id ra\n@b router_id rb\n}\n');
    expect(JSON.parse(run(['-d', '-i', 'b', '-f', c]).out).global.routerId).toBe('rb');
  });
  it('refuses unknown options with exit 2', () => {
    const r = run(['--no-such-flag']);
    expect(r.rc).toBe(2);
    expect(r.err).toContain("TSK_USAGE: unknown option '--no-such-flag'");
  });
  it('status with no daemon: exit 3 (not running), said with its code', () => {
    const r = run(['status', '--status-socket', path.join(dir, 'no-such.sock')]);
    expect(r.rc).toBe(3);
    expect(r.err).toMatch(/^tskeepalived status: TSK_NOT_RUNNING: cannot read the status from .*no-such\.sock: no tskeepalived is running there$/m);
  });
  it('refuses to start the daemon on a configuration that cannot run', () => {
    const r = run(['-n', '-f', path.join(dir, 'missing.conf')]);
    expect(r.rc).toBe(1);
    expect(r.err).toMatch(/cannot be run - not starting/);
  });
  it('answers --signum like keepalived', () => {
    expect(run(['--signum=RELOAD']).out.trim()).toBe('1');
    expect(run(['--signum=STOP']).out.trim()).toBe('15');
  });
});

// bin/tskeepalived.js keeps V8's compile cache; as a user other than root, under the temporary directory,
// in a directory of that user's own that no one else can write, and never in one someone else could.
describe.runIf(process.getuid?.() === 0)('compile cache of an unprivileged user', () => {
  const NOBODY = 65534;
  function runAs(tmp: string, extra: Record<string, string> = {}) {
    const env: Record<string, string | undefined> = { ...process.env, TMPDIR: tmp, ...extra };
    delete env.NODE_COMPILE_CACHE;
    if (!('NODE_DISABLE_COMPILE_CACHE' in extra)) delete env.NODE_DISABLE_COMPILE_CACHE;
    const r = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8', timeout: 20_000, uid: NOBODY, gid: NOBODY, env });
    expect(r.status).toBe(0);
  }
  // Its own base directory: the test's `dir` is 0700 root, which the user could not pass through.
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-cc-'));
  fs.chmodSync(base, 0o755);
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));
  function openTmp(): string {
    const t = fs.mkdtempSync(path.join(base, 'tmp-'));
    fs.chmodSync(t, 0o777);
    return t;
  }
  const entries = (d: string): string[] => fs.readdirSync(d, { recursive: true }).map(String);

  it('makes a private directory and fills it', () => {
    const tmp = openTmp();
    runAs(tmp);
    const cache = path.join(tmp, `tskeepalived-compile-cache-${NOBODY}`);
    const st = fs.statSync(cache);
    expect(st.uid).toBe(NOBODY);
    expect(st.mode & 0o777).toBe(0o700);
    expect(entries(cache).length).toBeGreaterThan(0);
  });
  it('leaves alone a directory others can write, and caches nothing when told not to', () => {
    const tmp = openTmp();
    const planted = path.join(tmp, `tskeepalived-compile-cache-${NOBODY}`);
    fs.mkdirSync(planted);
    fs.chownSync(planted, NOBODY, NOBODY);
    fs.chmodSync(planted, 0o777);
    runAs(tmp);
    expect(entries(planted)).toEqual([]);
    const tmp2 = openTmp();
    runAs(tmp2, { NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(fs.readdirSync(tmp2)).toEqual([]);
  });
});
