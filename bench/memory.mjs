#!/usr/bin/env node
/**
 * Memory benchmark: the resident memory of every process of a daemon running 1,000 virtual servers x 10
 * real servers (TCP_CHECK each, delay_loop 6, real servers that do not answer) and 10 VRRP instances, in a
 * network namespace of its own, after `--settle` seconds (default 40). Per process: RSS (what `ps` shows; the
 * Node binary's pages, shared by the three processes, are counted in each) and PSS (shared pages divided
 * among the processes that map them: the sum is what the daemon costs the machine).
 *
 * keepalived runs the same file when the kernel has IPVS (the VM lab: `node test/lab/vm.mjs -- node
 * bench/memory.mjs`); its checker process exits at start without IPVS, so on a host without it only
 * tskeepalived is measured. Root; prints a table, or one JSON object with --json.
 *
 * Does the memory stay flat over time? After the settle (the first sample, the one of the table):
 * - `--reloads N`: N reloads one after the other. Each changes one real server's weight in the file (a
 *   different real server each time, its weight between its own and that plus 5), sends SIGHUP to the
 *   supervisor (its pid file) and waits for the daemon's log to say the reload finished (`Reload
 *   finished`: once for tskeepalived, whose supervisor reloads the children; once per child process for
 *   keepalived) within `--reload-timeout` seconds (default 60). A sample every N/10 reloads.
 * - `--flap-minutes M`: real servers that go down and up for M minutes. The real servers of a quarter of
 *   the addresses (32 of the 125 pairs 192.0.2.(2p+1) / 203.0.113.(2p+2), p a multiple of 4: 2,560 of the
 *   10,000 real servers) answer: their addresses go on the namespace's loopback and bench/flap-listeners.mjs,
 *   inside the namespace, listens on their ports; every `--flap` seconds (default 5) a random quarter of
 *   its sockets close and the ones closed at the previous flap reopen. The other real servers still do not
 *   answer. A sample every minute.
 * - Both: the reloads are spread evenly over the M minutes (if they fall behind, the run goes on until
 *   the last one, flapping).
 * Samples are taken between reloads, never during one, 2 s after the last one (the daemon collects its garbage
 * once it has been quiet for a second). At the end the flapping stops and a last sample is
 * taken after `--end-settle` seconds (default 10). Printed: every sample (per process RSS / PSS and their
 * sums), the reload times, and a verdict: the RSS and PSS sums of the last sample and the largest of all
 * samples compared with the first; flat when neither differs from the first by more than 5 %. The status is
 * 0 whatever the verdict (a measurement), 1 when the daemon (or one of its processes) died, a reload did
 * not finish in time or was refused (one that finished with errors is counted and printed). `--keep` keeps the work directory (file, log) for a look afterwards.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { StringDecoder } from 'node:string_decoder';
import { genConfig } from './gen-config.js';

const ROOT = path.resolve(new URL('..', import.meta.url).pathname);
const argv = process.argv.slice(2);
/** @param {string} name @param {number} dflt */
const opt = (name, dflt) => {
  if (!argv.includes(name)) return dflt;
  const v = Number(argv[argv.indexOf(name) + 1]);
  if (!Number.isFinite(v) || v < 0) {
    console.error(`bench: ${name} wants a number (>= 0)`);
    process.exit(2);
  }
  return v;
};
const SETTLE_S = opt('--settle', 40);
const RELOADS = Math.floor(opt('--reloads', 0));
const FLAP_MINUTES = opt('--flap-minutes', 0);
const FLAP_S = opt('--flap', 5);
const RELOAD_TIMEOUT_S = opt('--reload-timeout', 60);
const END_SETTLE_S = opt('--end-settle', 10);
const SOAK = RELOADS > 0 || FLAP_MINUTES > 0;
/** Flat: the sums of the last and of the largest sample within this many % of the first. */
const FLAT_PCT = 5;
const json = argv.includes('--json');
const keep = argv.includes('--keep');
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-mem-'));
const sh = (/** @type {string} */ cmd) => execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));
/** How long a sample waits after the last reload (the daemon collects its garbage after one quiet second). */
const QUIET_MS = 2000;
const note = (/** @type {string} */ m) => console.error(`bench ${new Date().toISOString().slice(11, 19)} ${m}`);
const f1 = (/** @type {number} */ n) => n.toFixed(1);

/** A reason to stop the run and exit 1 (the daemon died, a reload did not finish): not a bench bug. */
class Failure extends Error {}

/** @param {string} ifname */
function config(ifname) {
  let vrrp = '';
  for (let i = 0; i < 10; i++) {
    vrrp += `vrrp_instance VI_${i} {\n  state BACKUP\n  interface ${ifname}\n  virtual_router_id ${10 + i}\n  priority 100\n  advert_int 1\n  virtual_ipaddress {\n    198.51.100.${100 + i}/32\n  }\n}\n`;
  }
  return genConfig(1000, 10) + vrrp;
}

/** @param {number} pid */
function memOf(pid) {
  const t = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (/** @type {string} */ k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(t)?.[1] ?? 0);
  return { rss: kb('Rss') / 1024, pss: kb('Pss') / 1024 };
}

/**
 * The configuration file as lines, and one real server's weight changed per reload: real server
 * (k - 1) mod 10,000 at reload k, between the weight gen-config gave it and that plus 5.
 */
class ConfigFile {
  /** @param {string} file @param {string} text */
  constructor(file, text) {
    this.file = file;
    this.lines = text.split('\n');
    /** @type {number[]} line index of each real server's weight */
    this.weightLine = [];
    /** @type {number[]} */
    this.weight0 = [];
    /** @type {Array<[string, number]>} each real server's address and port */
    this.realServers = [];
    for (let i = 0; i < this.lines.length; i++) {
      const rs = /^\s*real_server (\S+) (\d+)/.exec(this.lines[i]);
      if (!rs) continue;
      this.realServers.push([rs[1], Number(rs[2])]);
      const w = /^(\s*weight )(\d+)$/.exec(this.lines[i + 1]);
      if (!w) throw new Error(`gen-config: no weight after line ${i + 1}: ${this.lines[i]}`);
      this.weightLine.push(i + 1);
      this.weight0.push(Number(w[2]));
    }
    this.write();
  }

  write() {
    fs.writeFileSync(this.file, this.lines.join('\n'));
  }

  /** @param {number} k reload number, from 1 */
  changeForReload(k) {
    const j = (k - 1) % this.weightLine.length;
    const at = this.weightLine[j];
    const now = Number(/(\d+)$/.exec(this.lines[at])?.[1]);
    const next = now === this.weight0[j] ? this.weight0[j] + 5 : this.weight0[j];
    this.lines[at] = this.lines[at].replace(/\d+$/, String(next));
    this.write();
  }
}

/** The daemon's log, read as it grows: counts the lines that end (or refuse) a reload. */
class LogWatch {
  /** @param {string} file */
  constructor(file) {
    this.fd = fs.openSync(file, 'r');
    this.offset = 0;
    this.partial = '';
    this.decoder = new StringDecoder('utf8');
    this.buf = Buffer.alloc(1 << 20);
    this.finished = 0;
    this.withErrors = 0;
    this.refused = 0;
    this.unchanged = 0;
    /** @type {string | null} */
    this.lastRefused = null;
  }

  poll() {
    for (;;) {
      const n = fs.readSync(this.fd, this.buf, 0, this.buf.length, this.offset);
      if (n === 0) return;
      this.offset += n;
      const lines = (this.partial + this.decoder.write(this.buf.subarray(0, n))).split('\n');
      this.partial = lines.pop() ?? '';
      for (const l of lines) {
        if (l.includes('Reload finished')) {
          this.finished++;
          if (l.includes('with errors')) this.withErrors++;
        } else if (l.includes('keeping the running configuration')) {
          this.refused++;
          this.lastRefused = l;
        } else if (l.includes('reload: configuration unchanged')) this.unchanged++;
      }
    }
  }

  close() {
    fs.closeSync(this.fd);
  }
}

/**
 * bench/flap-listeners.mjs in the namespace: one JSON line answers each command line.
 * @param {string} ns @param {Array<[string, number]>} targets
 */
async function startListeners(ns, targets) {
  const file = path.join(WORK, 'listeners.json');
  fs.writeFileSync(file, JSON.stringify(targets));
  const p = spawn('ip', ['netns', 'exec', ns, process.execPath, path.join(ROOT, 'bench/flap-listeners.mjs'), file], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  /** @type {string | null} */
  let exit = null;
  /** @type {Array<(o: any) => void>} */
  const waiting = [];
  p.on('exit', (code, sig) => {
    exit = `${code ?? sig}`;
    for (const w of waiting.splice(0)) w({ error: `the listener process exited (${exit})` });
  });
  readline.createInterface({ input: /** @type {NodeJS.ReadableStream} */ (p.stdout) }).on('line', (l) => waiting.shift()?.(JSON.parse(l)));
  /** @param {string | null} cmd @returns {Promise<any>} */
  const ask = (cmd) =>
    new Promise((resolve, reject) => {
      if (exit !== null) return reject(new Failure(`the listener process exited (${exit})`));
      const t = setTimeout(() => reject(new Failure(`the listener process did not answer ${cmd ?? 'at start'} within 30 s`)), 30_000);
      waiting.push((o) => {
        clearTimeout(t);
        if (o.error) reject(new Failure(o.error));
        else resolve(o);
      });
      if (cmd !== null) p.stdin?.write(`${cmd}\n`);
    });
  return { proc: p, ask, exited: () => exit };
}

/**
 * @param {import('node:child_process').ChildProcess} p
 * @param {() => boolean} exited
 */
async function stop(p, exited) {
  if (exited()) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  if ((await Promise.race([gone.then(() => true), sleep(30_000).then(() => false)])) === false) {
    note(`pid ${p.pid} still running 30 s after SIGTERM: SIGKILL`);
    p.kill('SIGKILL');
    await gone;
  }
}

/** What cleans up the kind being measured: run on SIGINT / SIGTERM too. @type {(() => Promise<void>) | null} */
let activeCleanup = null;
/** Set on SIGINT / SIGTERM: what fails after it (the daemon stopping) is no news. */
let interrupted = false;
for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    note(`${sig}: stopping the daemon, removing the namespace`);
    void (activeCleanup?.() ?? Promise.resolve()).finally(() => {
      if (!keep) fs.rmSync(WORK, { recursive: true, force: true });
      process.exit(130);
    });
  });
}

/**
 * @typedef {{ name: string, pid: number, rss: number, pss: number }} Part
 * @typedef {{ label: string, t: number, reloads: number, parts: Part[], sum: { rss: number, pss: number },
 *   listeners?: { open: number, total: number, accepts: number, flaps: number }, logMiB: number }} Sample
 */

/**
 * @param {'tskeepalived' | 'keepalived'} kind
 * @returns {Promise<{ kind: string, parts: Array<{ name: string, rss: number, pss: number }>, soak?: any }>}
 */
async function measure(kind) {
  const ns = `tskmem${kind[0]}${process.pid % 10000}`;
  const ifname = `tskmem${kind[0]}0`;
  sh(`ip netns add ${ns}`);
  /** @type {Awaited<ReturnType<typeof startListeners>> | null} */
  let listeners = null;
  /** @type {import('node:child_process').ChildProcess | null} */
  let p = null;
  /** @type {string | null} */
  let daemonExit = null;
  /** @type {Promise<void> | null} */
  let cleaning = null;
  const cleanup = () =>
    (cleaning ??= (async () => {
      if (listeners) await stop(listeners.proc, () => listeners?.exited() !== null);
      if (p) await stop(p, () => daemonExit !== null);
      sh(`ip netns del ${ns}`);
    })());
  activeCleanup = cleanup;
  try {
    // Both ends of the veth in the namespace, its peer down as before (no carrier: the VRRP instances stay in
    // FAULT); nothing in the host's namespace, where a peer could outlive `ip netns del` for a moment.
    sh(`ip -n ${ns} link add ${ifname} type veth peer name ${ifname}p`);
    sh(`ip -n ${ns} addr add 192.0.2.1/24 dev ${ifname} && ip -n ${ns} link set ${ifname} up && ip -n ${ns} link set lo up`);
    const conf = path.join(WORK, `${kind}.conf`);
    const cf = new ConfigFile(conf, config(ifname));
    if (FLAP_MINUTES > 0) {
      // A quarter of the addresses answer (see the top): on the loopback, except 192.0.2.1, the veth's.
      const answers = (/** @type {string} */ a) => Math.floor((Number(a.split('.')[3]) - 1) / 2) % 4 === 0;
      const targets = cf.realServers.filter(([a]) => answers(a));
      const addrs = [...new Set(targets.map(([a]) => a))].filter((a) => a !== '192.0.2.1');
      execFileSync('ip', ['-n', ns, '-batch', '-'], { input: addrs.map((a) => `addr add ${a}/32 dev lo\n`).join('') });
      listeners = await startListeners(ns, targets);
      const ready = await listeners.ask(null);
      if (ready.listenErrors) throw new Failure(`the listeners: ${ready.listenErrors} sockets failed to listen (${ready.lastError})`);
      note(
        `${kind}: ${targets.length} of ${cf.realServers.length} real servers answer (${addrs.length + 1} addresses); they will flap every ${FLAP_S} s for ${FLAP_MINUTES} min`,
      );
    }
    const pid = path.join(WORK, `${kind}.pid`);
    const files = { main: pid, vrrp: `${pid}.vrrp`, checkers: `${pid}.check` };
    const logFile = path.join(WORK, `${kind}.log`);
    const log = fs.openSync(logFile, 'w');
    const cmd =
      kind === 'tskeepalived'
        ? [
            process.execPath,
            path.join(ROOT, 'bin/tskeepalived.js'),
            '-n',
            '-l',
            '-f',
            conf,
            '-p',
            pid,
            '-r',
            files.vrrp,
            '-c',
            files.checkers,
            '--status-socket',
            `${pid}.sock`,
          ]
        : ['keepalived', '-n', '-l', '-f', conf, '-p', pid, '-r', files.vrrp, '-c', files.checkers];
    const daemon = spawn('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['ignore', log, log] });
    p = daemon;
    daemon.on('exit', (code, sig) => (daemonExit = `${code ?? sig}`));
    note(`${kind}: running, measuring in ${SETTLE_S} s`);
    await sleep(SETTLE_S * 1000);
    if (!SOAK) {
      const parts = Object.entries(files).map(([name, f]) => ({ name, ...memOf(Number(fs.readFileSync(f, 'utf8').trim())) }));
      return { kind, parts };
    }
    return await soak(kind, cf, files, logFile, () => daemonExit, listeners);
  } finally {
    await cleanup();
    activeCleanup = null;
  }
}

/**
 * The reloads and the flapping, from the end of the settle; a Failure ends them early (reported, exit 1).
 * @param {string} kind @param {ConfigFile} cf @param {Record<string, string>} files @param {string} logFile
 * @param {() => string | null} daemonExit
 * @param {{ ask: (cmd: string | null) => Promise<any>, exited: () => string | null } | null} listeners
 */
async function soak(kind, cf, files, logFile, daemonExit, listeners) {
  const watch = new LogWatch(logFile);
  /** @type {Sample[]} */
  const samples = [];
  /** @type {number[]} */
  const reloadMs = [];
  /** @type {Record<string, number>} */
  const pids0 = {};
  /** @type {string | null} */
  let failure = null;
  let done = 0;
  const t0 = Date.now();
  const alive = () => {
    if (daemonExit() !== null) throw new Failure(`the daemon exited (${daemonExit()})`);
    if (listeners && listeners.exited() !== null) throw new Failure(`the listener process exited (${listeners.exited()})`);
  };
  /** @param {string} label */
  const sample = async (label) => {
    // The daemon collects garbage once it has been quiet for a second (src/util/gc.ts): a sample waits for
    // that, so it shows what the daemon keeps, not the garbage of the reload just before.
    if (label !== 'baseline') await sleep(QUIET_MS);
    alive();
    /** @type {Part[]} */
    const parts = [];
    for (const [name, f] of Object.entries(files)) {
      let pid = Number.NaN;
      try {
        pid = Number(fs.readFileSync(f, 'utf8').trim());
        parts.push({ name, pid, ...memOf(pid) });
      } catch (e) {
        throw new Failure(`${name} process (pid file ${f}, pid ${pid}) gone: ${/** @type {Error} */ (e).message}`);
      }
      if (pids0[name] === undefined) pids0[name] = pid;
      else if (pids0[name] !== pid) throw new Failure(`the ${name} process was replaced (pid ${pids0[name]} -> ${pid}): it died and was respawned`);
    }
    const sum = parts.reduce((a, x) => ({ rss: a.rss + x.rss, pss: a.pss + x.pss }), { rss: 0, pss: 0 });
    /** @type {Sample} */
    const s = { label, t: Math.round((Date.now() - t0) / 1000), reloads: done, parts, sum, logMiB: +(fs.statSync(logFile).size / 2 ** 20).toFixed(1) };
    if (listeners) {
      const { open, total, accepts, flaps } = await listeners.ask('stats');
      s.listeners = { open, total, accepts, flaps };
    }
    samples.push(s);
    note(
      `${kind}: ${label}: ${done} reloads, RSS ${f1(sum.rss)} MiB, PSS ${f1(sum.pss)} MiB${s.listeners ? `, ${s.listeners.open}/${s.listeners.total} listening` : ''}`,
    );
  };
  /** @param {number} k */
  const reload = async (k) => {
    cf.changeForReload(k);
    watch.poll();
    const main = Number(fs.readFileSync(files.main, 'utf8').trim());
    // keepalived: each child process logs its own "Reload finished"; tskeepalived: the supervisor, once.
    const lines = kind === 'keepalived' ? Math.max(1, sh(`pgrep -P ${main} || true`).trim().split(/\s+/).filter(Boolean).length) : 1;
    const want = watch.finished + lines;
    const refused = watch.refused;
    const unchanged = watch.unchanged;
    const t = performance.now();
    process.kill(main, 'SIGHUP');
    for (;;) {
      watch.poll();
      if (watch.finished >= want) break;
      if (watch.refused > refused) throw new Failure(`reload ${k} refused: ${watch.lastRefused}`);
      if (watch.unchanged > unchanged) throw new Failure(`reload ${k}: the daemon saw no change in the file`);
      alive();
      if (performance.now() - t > RELOAD_TIMEOUT_S * 1000)
        throw new Failure(
          `reload ${k} did not finish within ${RELOAD_TIMEOUT_S} s (${watch.finished - want + lines} of ${lines} "Reload finished" in the log)`,
        );
      await sleep(20);
    }
    reloadMs.push(performance.now() - t);
    done = k;
  };

  const endAt = t0 + FLAP_MINUTES * 60_000;
  const reloadEveryMs = FLAP_MINUTES > 0 && RELOADS > 0 ? (FLAP_MINUTES * 60_000) / RELOADS : 0;
  const reloadStep = Math.max(1, Math.round(RELOADS / 10));
  let nextMinute = t0 + 60_000;
  try {
    await sample('baseline');
    if (listeners) await listeners.ask(`start ${FLAP_S}`);
    for (;;) {
      alive();
      const now = Date.now();
      if (done < RELOADS && now >= t0 + done * reloadEveryMs) {
        await reload(done + 1);
        if (FLAP_MINUTES === 0 && done % reloadStep === 0 && done < RELOADS) await sample(`reload ${done}`);
      } else if (FLAP_MINUTES > 0 && nextMinute <= endAt && now >= nextMinute) {
        await sample(`minute ${Math.round((nextMinute - t0) / 60_000)}`);
        nextMinute += 60_000;
      } else if (done < RELOADS || now < endAt || nextMinute <= endAt) await sleep(50);
      else break;
    }
    if (FLAP_MINUTES > 0 && Date.now() > endAt + 5000)
      note(`${kind}: the reloads ran ${Math.round((Date.now() - endAt) / 1000)} s past the ${FLAP_MINUTES} minutes`);
    if (listeners) await listeners.ask('stop');
    note(`${kind}: last sample in ${END_SETTLE_S} s`);
    await sleep(END_SETTLE_S * 1000);
    await sample('end');
  } catch (e) {
    // Interrupted: the signal handler cleans up and exits.
    if (interrupted) await new Promise(() => undefined);
    if (!(e instanceof Failure)) throw e;
    failure = e.message;
    note(`${kind}: FAILED: ${failure}`);
    console.error(`last lines of ${logFile}:\n${logTail(logFile)}`);
  } finally {
    watch.close();
  }
  const ms = reloadMs.length ? { mean: reloadMs.reduce((a, b) => a + b, 0) / reloadMs.length, min: Math.min(...reloadMs), max: Math.max(...reloadMs) } : null;
  return {
    kind,
    parts: samples[0]?.parts.map(({ name, rss, pss }) => ({ name, rss, pss })) ?? [],
    soak: {
      reloads: RELOADS,
      reloadsDone: done,
      reloadMs: ms && { mean: Math.round(ms.mean), min: Math.round(ms.min), max: Math.round(ms.max) },
      reloadsWithErrors: watch.withErrors,
      flapMinutes: FLAP_MINUTES,
      flapS: FLAP_MINUTES > 0 ? FLAP_S : undefined,
      samples,
      verdict: verdict(samples),
      failure,
    },
  };
}

/** The last 30 lines of the log (which flapping makes large: its last 64 KiB only). @param {string} file */
function logTail(file) {
  const fd = fs.openSync(file, 'r');
  const size = fs.fstatSync(fd).size;
  const buf = Buffer.alloc(Math.min(size, 1 << 16));
  fs.readSync(fd, buf, 0, buf.length, size - buf.length);
  fs.closeSync(fd);
  return buf.toString('utf8').trimEnd().split('\n').slice(-30).join('\n');
}

/** @param {Sample[]} samples */
function verdict(samples) {
  if (samples.length < 2) return null;
  const first = samples[0].sum;
  const last = /** @type {Sample} */ (samples.at(-1)).sum;
  const max = { rss: Math.max(...samples.map((s) => s.sum.rss)), pss: Math.max(...samples.map((s) => s.sum.pss)) };
  const pct = (/** @type {number} */ a, /** @type {number} */ b) => +(((b - a) / a) * 100).toFixed(1);
  const of = (/** @type {'rss' | 'pss'} */ k) => ({
    first: +f1(first[k]),
    last: +f1(last[k]),
    lastPct: pct(first[k], last[k]),
    max: +f1(max[k]),
    maxPct: pct(first[k], max[k]),
  });
  const rss = of('rss');
  const pss = of('pss');
  const flat = [rss, pss].every((x) => Math.abs(x.lastPct) <= FLAT_PCT && x.maxPct <= FLAT_PCT);
  return { rss, pss, flat };
}

/** @type {Array<'tskeepalived' | 'keepalived'>} */
const kinds = fs.existsSync('/proc/net/ip_vs') ? ['tskeepalived', 'keepalived'] : ['tskeepalived'];
if (kinds.length === 1) note('no IPVS in this kernel: keepalived cannot run the file (its checker process exits); tskeepalived only');
const results = [];
let failedToStart = false;
for (const k of kinds) {
  try {
    results.push(await measure(k));
  } catch (e) {
    if (!(e instanceof Failure)) throw e;
    note(`${k}: FAILED: ${e.message}`);
    failedToStart = true;
  }
}
if (keep) note(`work directory kept: ${WORK}`);
else fs.rmSync(WORK, { recursive: true, force: true });
if (json) console.log(JSON.stringify(results));
else {
  const f = f1;
  console.log('| daemon | supervisor RSS / PSS | VRRP RSS / PSS | checkers RSS / PSS | sum RSS / PSS (MiB) |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of results) {
    const sum = r.parts.reduce((a, x) => ({ rss: a.rss + x.rss, pss: a.pss + x.pss }), { rss: 0, pss: 0 });
    console.log(`| ${r.kind} | ${r.parts.map((x) => `${f(x.rss)} / ${f(x.pss)}`).join(' | ')} | ${f(sum.rss)} / ${f(sum.pss)} |`);
  }
  for (const r of results) {
    if (!r.soak) continue;
    const s = r.soak;
    console.log('');
    console.log(
      [
        s.reloads
          ? `${s.reloadsDone} of ${s.reloads} reloads${s.reloadMs ? ` (${s.reloadMs.mean} ms on average, ${s.reloadMs.min} to ${s.reloadMs.max}; ${s.reloadsWithErrors} with errors)` : ''}`
          : '',
        s.flapMinutes ? `${s.flapMinutes} min of real servers flapping every ${s.flapS} s` : '',
      ]
        .filter(Boolean)
        .join(', ')
        .replace(/^/, `${r.kind}: `),
    );
    console.log('');
    console.log('| sample | time (s) | reloads | supervisor RSS / PSS | VRRP RSS / PSS | checkers RSS / PSS | sum RSS / PSS (MiB) | listening | log (MiB) |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const x of /** @type {Sample[]} */ (s.samples)) {
      const l = x.listeners ? `${x.listeners.open} / ${x.listeners.total}` : '-';
      console.log(
        `| ${x.label} | ${x.t} | ${x.reloads} | ${x.parts.map((p) => `${f(p.rss)} / ${f(p.pss)}`).join(' | ')} | ${f(x.sum.rss)} / ${f(x.sum.pss)} | ${l} | ${x.logMiB} |`,
      );
    }
    console.log('');
    const v = s.verdict;
    const one = (/** @type {string} */ n, /** @type {any} */ x) =>
      `${n} sum first ${x.first}, last ${x.last} MiB (${x.lastPct >= 0 ? '+' : ''}${x.lastPct} %), max ${x.max} MiB (${x.maxPct >= 0 ? '+' : ''}${x.maxPct} %)`;
    if (v)
      console.log(
        `verdict ${r.kind}: ${one('RSS', v.rss)}; ${one('PSS', v.pss)}: ${v.flat ? `within ${FLAT_PCT} % (flat)` : `NOT within ${FLAT_PCT} %`}${s.failure ? ' (run cut short)' : ''}`,
      );
    else console.log(`verdict ${r.kind}: too few samples`);
    if (s.failure) console.log(`FAILED ${r.kind}: ${s.failure}`);
  }
}
process.exit(failedToStart || results.some((r) => r.soak?.failure) ? 1 : 0);
