/**
 * A two-director LAN for namespace tests: directors `a` and `b` (192.0.2.1 and .2 on one veth each)
 * joined by a bridge `br0` in a third namespace, where dumpcap can watch the wire. Starts tskeepalived or
 * keepalived 2.2.7 in a director, and removes every process and namespace it made at teardown.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sh, sleep } from './netns.js';

export const BIN = path.resolve(__dirname, '../../bin/tskeepalived.js');
export type Side = 'a' | 'b';

const works = (cmd: string, ...args: string[]) => spawnSync(cmd, args).status === 0;

/** Why namespace tests needing `tools` cannot run here, or undefined when they can. */
export function labMissing(tools: Array<'keepalived' | 'nft' | 'tshark'>): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  if (!works('ip', '-V')) return 'no iproute2';
  if (tools.includes('keepalived') && !fs.existsSync('/usr/sbin/keepalived')) return 'no /usr/sbin/keepalived';
  if (tools.includes('nft') && !works('nft', '--version')) return 'no nft (nftables)';
  if (tools.includes('tshark') && !(works('tshark', '--version') && works('dumpcap', '--version'))) return 'no tshark/dumpcap';
  const probe = `tsklanprobe${process.pid}`;
  if (!works('ip', 'netns', 'add', probe)) return 'cannot create a network namespace';
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}

export interface Daemon {
  proc: ChildProcess;
  log: string;
  pidFile: string;
  /** The VRRP process's pid file (-r). */
  vrrpPidFile: string;
}

export const readPid = (file: string) => Number(fs.readFileSync(file, 'utf8').trim());
export const exited = (p: ChildProcess) => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('exit', r)));

export class Lan {
  readonly ns: Record<Side | 'sw', string>;
  readonly ifs: Record<Side, string>;
  readonly ip: Record<Side, string> = { a: '192.0.2.1', b: '192.0.2.2' };
  readonly dir: string;
  private readonly procs: ChildProcess[] = [];
  /** Namespaces of the hosts added with addHost(). */
  private readonly hosts: string[] = [];
  private n = 0;

  /** `prefix`: up to 5 letters naming the test; the pid makes the names unique. */
  constructor(prefix: string) {
    const tag = `${prefix}${process.pid % 100000}`;
    this.ns = { a: `${tag}a`, b: `${tag}b`, sw: `${tag}sw` };
    this.ifs = { a: `${tag}a`, b: `${tag}b` };
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `tsk-${prefix}-`));
  }

  up(): void {
    sh('ip', 'netns', 'add', this.ns.sw);
    sh('ip', '-n', this.ns.sw, 'link', 'add', 'br0', 'type', 'bridge');
    sh('ip', '-n', this.ns.sw, 'link', 'set', 'br0', 'up');
    for (const s of ['a', 'b'] as const) this.attach(this.ns[s], this.ifs[s], this.ip[s]);
  }

  /** One more host on the bridge (a client, a third router): its namespace and interface, `ip`/24 on it. */
  addHost(name: string, ip: string): { ns: string; ifname: string } {
    const h = { ns: `${this.ns.sw.slice(0, -2)}${name}`, ifname: `${this.ifs.a.slice(0, -1)}${name}` };
    this.hosts.push(h.ns);
    this.attach(h.ns, h.ifname, ip);
    return h;
  }

  private attach(ns: string, i: string, ip: string): void {
    sh('ip', 'netns', 'add', ns);
    sh('ip', 'link', 'add', i, 'type', 'veth', 'peer', 'name', `${i}p`);
    sh('ip', 'link', 'set', `${i}p`, 'netns', this.ns.sw);
    sh('ip', '-n', this.ns.sw, 'link', 'set', `${i}p`, 'master', 'br0');
    sh('ip', '-n', this.ns.sw, 'link', 'set', `${i}p`, 'up');
    sh('ip', 'link', 'set', i, 'netns', ns);
    sh('ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', i);
    sh('ip', '-n', ns, 'link', 'set', i, 'up');
    sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
  }

  private get namespaces(): string[] {
    return [...Object.values(this.ns), ...this.hosts];
  }

  /** Kills what was started and what still runs in the namespaces. */
  async stopAll(): Promise<void> {
    for (const p of this.procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
    await sleep(300);
    for (const ns of this.namespaces) spawnSync('sh', ['-c', `ip netns pids ${ns} | xargs -r kill -9`]);
  }

  async down(): Promise<void> {
    await this.stopAll();
    for (const ns of this.namespaces) spawnSync('ip', ['netns', 'del', ns]);
    if (!process.env.KEEP_TEST_DIR) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  file(name: string, text: string): string {
    const f = path.join(this.dir, name);
    fs.writeFileSync(f, text);
    return f;
  }

  /**
   * tskeepalived -n -l in director `side`; `env` is added to its environment (the VRRP process inherits it),
   * `extra` to its command line.
   */
  startTs(side: Side, conf: string, env: Record<string, string> = {}, extra: string[] = []): Daemon {
    const id = `ts-${side}-${++this.n}`;
    const log = path.join(this.dir, `${id}.log`);
    const pidFile = path.join(this.dir, `ts-${side}.pid`);
    const out = fs.openSync(log, 'w');
    const args = [process.execPath, BIN, '-n', '-l', '-f', conf, '-p', pidFile, '-r', `${pidFile}.vrrp`, '--status-socket', `${pidFile}.sock`, ...extra];
    const proc = spawn('ip', ['netns', 'exec', this.ns[side], ...args], { stdio: ['ignore', out, out], env: { ...process.env, ...env } });
    this.procs.push(proc);
    return { proc, log, pidFile, vrrpPidFile: `${pidFile}.vrrp` };
  }

  /**
   * keepalived 2.2.7 -n -l -D in director `side`; with `quiet` -n only: its log goes to syslog, where nothing
   * listens (cheap when it would log every packet of a flood), and `log` stays empty.
   */
  startKa(side: Side, conf: string, quiet = false): Daemon {
    const id = `ka-${side}-${++this.n}`;
    const log = path.join(this.dir, `${id}.log`);
    const pidFile = path.join(this.dir, `${id}.pid`);
    const out = fs.openSync(log, 'w');
    const proc = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.ns[side],
        'keepalived',
        '-n',
        ...(quiet ? [] : ['-l', '-D']),
        '-f',
        conf,
        '-p',
        pidFile,
        '-r',
        `${pidFile}.vrrp`,
        '-c',
        `${pidFile}.check`,
      ],
      { stdio: ['ignore', out, out] },
    );
    this.procs.push(proc);
    return { proc, log, pidFile, vrrpPidFile: `${pidFile}.vrrp` };
  }

  /** `ip -o addr show dev IF` in director `side`. */
  addrs(side: Side): string {
    return spawnSync('ip', ['-n', this.ns[side], '-o', 'addr', 'show', 'dev', this.ifs[side]], { encoding: 'utf8' }).stdout;
  }

  mac(side: Side): string {
    return spawnSync('ip', ['netns', 'exec', this.ns[side], 'cat', `/sys/class/net/${this.ifs[side]}/address`], { encoding: 'utf8' }).stdout.trim();
  }

  hasAddr(side: Side, ip: string): boolean {
    return this.addrs(side).includes(` ${ip}/`);
  }

  /**
   * dumpcap on the bridge (kernel timestamps) for VRRP and ARP; stop() returns each frame: time (s),
   * Ethernet source, sender address (ip.src or arp.src.proto_ipv4), VRRP priority or ARP's target address
   * and opcode. `filter` (BPF) narrows what is written, e.g. to leave out a flood.
   */
  capture(filter = 'ip proto 112 or arp'): { stop(): Promise<Frame[]> } {
    const file = path.join(this.dir, `cap-${++this.n}.pcapng`);
    const p = spawn('ip', ['netns', 'exec', this.ns.sw, 'dumpcap', '-q', '-i', 'br0', '-f', filter, '-w', file], { stdio: 'ignore' });
    this.procs.push(p);
    return {
      stop: async () => {
        await sleep(300);
        p.kill('SIGINT');
        await exited(p);
        const fields = ['frame.time_epoch', 'eth.src', 'ip.src', 'vrrp.prio', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4', 'arp.opcode'].flatMap((f) => [
          '-e',
          f,
        ]);
        const r = spawnSync('tshark', ['-r', file, '-Y', 'vrrp or arp', '-T', 'fields', ...fields], { encoding: 'utf8' });
        return r.stdout
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => {
            const [t, mac, ipSrc, prio, arpSrc, arpDst, op] = l.split('\t');
            const at = { t: Number(t), mac: mac! };
            return ipSrc ? { ...at, kind: 'vrrp', src: ipSrc, prio: Number(prio) } : { ...at, kind: 'arp', src: arpSrc!, target: arpDst!, op: Number(op) };
          });
      },
    };
  }
}

export type Frame = { t: number; mac: string } & ({ kind: 'vrrp'; src: string; prio: number } | { kind: 'arp'; src: string; target: string; op: number });

/** One vrrp_instance on director `side`'s interface. */
export function instanceConf(
  lan: Lan,
  side: Side,
  o: { vrid: number; priority: number; advertInt?: number; vips: string[]; extra?: string; top?: string },
): string {
  const v3 = o.advertInt !== undefined && o.advertInt < 1 ? '  version 3\n' : '';
  return `${o.top ?? ''}vrrp_instance VI_1 {\n  state BACKUP\n  interface ${lan.ifs[side]}\n  virtual_router_id ${o.vrid}\n  priority ${o.priority}\n  advert_int ${o.advertInt ?? 1}\n${v3}${o.extra ?? ''}  virtual_ipaddress {\n${o.vips.map((v) => `    ${v}\n`).join('')}  }\n}\n`;
}
