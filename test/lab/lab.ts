/**
 * The classic LVS lab, inside the VM lab's kernel: network namespaces for a client, one or two
 * directors and two real servers, joined by bridges in the VM's root namespace (the VM is thrown away
 * after the run, so nothing here touches the development machine). Every real server runs busybox
 * httpd answering with its own name.
 *
 *   NAT:  client -- [front 192.0.2.0/24] -- director -- [back 198.51.100.0/24] -- rs1, rs2 (gw = DIP)
 *   DR:   client, director, rs1, rs2 on one LAN (192.0.2.0/24); the VIP on the real servers' lo
 *   TUN:  as DR, but the director reaches the real servers through ipip; the VIP on their tunl0
 *
 * IPVS tables are per network namespace: read them with `ns(director, 'ipvsadm -Ln')`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crash } from '../helpers/crash.js';

export const ROOT = path.resolve(new URL('../..', import.meta.url).pathname);
export const TSK = path.join(ROOT, 'bin/tskeepalived.js');
export const WORK = '/tmp/lvs-lab';
export const VIP = '192.0.2.100';
export const CLIENT = '192.0.2.10';
export const RS = { rs1: '198.51.100.11', rs2: '198.51.100.12' } as const;
export const RS_LAN = { rs1: '192.0.2.11', rs2: '192.0.2.12' } as const;

export type Mode = 'NAT' | 'DR' | 'TUN';

export function sh(cmd: string): string {
  try {
    return execFileSync('sh', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; status?: number };
    throw new Error(`\`${cmd}\` failed (exit ${err.status}): ${(err.stderr || err.stdout || '').trim()}`);
  }
}

/**
 * kill -9 every process in a namespace, and wait until none is left. A process may end between the listing
 * and the kill (busybox httpd forks a short-lived child per connection, e.g. per health check): that is
 * not an error; one still there after 5 s is.
 */
export function killNetns(name: string): void {
  const t0 = Date.now();
  for (;;) {
    const pids = sh(`ip netns pids ${name}`).split('\n').filter(Boolean);
    if (pids.length === 0) return;
    if (Date.now() - t0 > 5000) throw new Error(`processes ${pids.join(' ')} in namespace ${name} survived kill -9`);
    sh(`kill -9 ${pids.join(' ')} 2>/dev/null || true`);
    execFileSync('sleep', ['0.05']);
  }
}

export function ns(name: string, cmd: string): string {
  return sh(`ip netns exec ${name} sh -c '${cmd.replace(/'/g, `'\\''`)}'`);
}

/** True when this kernel has IPVS (inside the VM lab); the suite skips itself otherwise. */
export function ipvsAvailable(): boolean {
  try {
    sh(
      'modprobe -a ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh ip_vs_sh ip_vs_sed ip_vs_nq ip_vs_fo ip_vs_ovf ip_vs_mh ip_vs_pe_sip veth bridge ipip',
    );
  } catch {
    return false;
  }
  return fs.existsSync('/proc/net/ip_vs');
}

export const IN_VM = process.env.TSK_IN_VM === '1';

const NAMESPACES = ['client', 'd1', 'd2', 'rs1', 'rs2'];

export function resetLab(): void {
  // The whole tree at once: a child left running would stop gracefully and undo IPVS entries meanwhile.
  for (const p of daemons.splice(0)) if (p.pid) crash(p.pid);
  sh('pkill -9 -f "^busybox httpd" || true; pkill -9 -x keepalived || true');
  for (const n of NAMESPACES) sh(`ip netns del ${n} 2>/dev/null || true`);
  sh('ip link del lab-front 2>/dev/null || true; ip link del lab-back 2>/dev/null || true');
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
}

function bridge(name: string): void {
  sh(`ip link add ${name} type bridge && ip link set ${name} up`);
}

/** A namespace with lo up and one veth leg `eth<i>` on `br` with `addr/24`. */
function attach(n: string, br: string, ifname: string, addr: string): void {
  const host = `${n}-${ifname}`.slice(0, 15);
  sh(`ip link add ${host} type veth peer name ${ifname} netns ${n}`);
  sh(`ip link set ${host} master ${br} up`);
  ns(n, `ip addr add ${addr}/24 dev ${ifname} && ip link set ${ifname} up`);
}

function addNs(n: string): void {
  sh(`ip netns add ${n}`);
  ns(n, 'ip link set lo up');
}

function httpd(n: string, name: string): void {
  const dir = path.join(WORK, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.html'), `${name}\n`);
  ns(n, `busybox httpd -p 80 -h ${dir}`);
}

/**
 * Builds the lab for `mode` with `directors` directors (d1, d2). Director addresses: front .2/.3,
 * back (NAT) 198.51.100.2/.3 with the shared gateway 198.51.100.1 (a VRRP VIP) or .1 for one director.
 */
export function buildLab(mode: Mode, directors = 1): void {
  resetLab();
  bridge('lab-front');
  for (const n of NAMESPACES.slice(0, 1 + directors).concat(['rs1', 'rs2'])) addNs(n);
  attach('client', 'lab-front', 'eth0', CLIENT);
  for (let i = 1; i <= directors; i++) {
    const d = `d${i}`;
    attach(d, 'lab-front', 'eth0', `192.0.2.${1 + i}`);
    ns(d, 'sysctl -qw net.ipv4.ip_forward=1 net.ipv4.vs.conntrack=1');
  }
  if (mode === 'NAT') {
    bridge('lab-back');
    for (let i = 1; i <= directors; i++) {
      const d = `d${i}`;
      attach(d, 'lab-back', 'eth1', directors === 1 ? '198.51.100.1' : `198.51.100.${1 + i}`);
    }
    for (const r of ['rs1', 'rs2'] as const) {
      attach(r, 'lab-back', 'eth0', RS[r]);
      ns(r, 'ip route add default via 198.51.100.1');
    }
  } else {
    for (const r of ['rs1', 'rs2'] as const) {
      attach(r, 'lab-front', 'eth0', RS_LAN[r]);
      ns(r, 'sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2');
      if (mode === 'DR') ns(r, `ip addr add ${VIP}/32 dev lo`);
      else {
        ns(r, `ip link set tunl0 up && ip addr add ${VIP}/32 dev tunl0`);
        ns(r, 'sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.tunl0.rp_filter=0 net.ipv4.conf.eth0.rp_filter=0');
      }
    }
  }
  httpd('rs1', 'rs1');
  httpd('rs2', 'rs2');
}

/** Adds the VIP by hand (tests that are not about VRRP). */
export function addVip(director = 'd1'): void {
  ns(director, `ip addr add ${VIP}/32 dev eth0`);
}

/** `n` requests from the client to the VIP, one connection each: the names that answered. */
export function curlVip(n: number, port = 80): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    try {
      out.push(ns('client', `curl -s --max-time 3 http://${VIP}:${port}/`).trim());
    } catch {
      out.push('(none)');
    }
  }
  return out;
}

const daemons: ChildProcess[] = [];

export interface Daemon {
  proc: ChildProcess;
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/** Starts `tskeepalived` or `keepalived` in a director namespace with `config` (written to WORK). */
export function startDaemon(kind: 'tskeepalived' | 'keepalived', director: string, config: string, extra: string[] = []): Daemon {
  const file = path.join(WORK, `${director}-${kind}.conf`);
  fs.writeFileSync(file, config);
  const pid = path.join(WORK, `${director}-${kind}.pid`);
  const cmd =
    kind === 'tskeepalived'
      ? [process.execPath, TSK, '-n', '-l', '-D', '-f', file, '-p', pid, ...extra]
      : ['keepalived', '-n', '-l', '-D', '-f', file, '-p', pid, '-r', `${pid}.vrrp`, '-c', `${pid}.check`, ...extra];
  const proc = spawn('ip', ['netns', 'exec', director, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
  daemons.push(proc);
  let text = '';
  proc.stdout!.on('data', (d) => (text += d));
  proc.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (c) => resolve(c)));
  return {
    proc,
    output: () => text,
    stop: async (signal = 'SIGTERM') => {
      proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      const c = await exited;
      clearTimeout(t);
      return c;
    },
  };
}

/** Polls until `cond` holds; returns the ms it took, or throws with `what` after `ms`. */
export async function waitFor(cond: () => boolean, ms: number, what: string, stepMs = 100): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (cond()) return Date.now() - t0;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** The director's IPVS table as `ipvsadm -S -n` prints it (sorted, for comparing two daemons). */
export function savedTable(director = 'd1'): string[] {
  return ns(director, 'ipvsadm -S -n').split('\n').filter(Boolean).sort();
}

export function destCount(director = 'd1'): number {
  return savedTable(director).filter((l) => l.startsWith('-a ')).length;
}
