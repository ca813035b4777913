#!/usr/bin/env node
/**
 * The VM lab: runs a command inside a Debian kernel that has IPVS, booted under qemu (software
 * emulation), with this machine's root filesystem mounted read-only over 9p under a tmpfs overlay.
 * The command sees the same files, the same node (the one running this script is first in its PATH),
 * ipvsadm and keepalived, the same working directory.
 *
 *   node test/lab/vm.mjs [--mem MB] [--cpus N] [--timeout S] -- COMMAND [ARGS...]
 *
 * Exit status: the command's own; 124 when the VM ran out of time; 125 when the lab itself failed.
 * The command's output comes back over the serial console; a writable 9p share carries its exit status.
 *
 * Preparation is cached in $TSK_LAB_CACHE (default ~/.cache/tskeepalived-lab): the kernel package is
 * fetched once with `apt-get download` (Debian's linux-image-amd64 of the moment), unpacked, depmod'ed,
 * and a small busybox initramfs is built with only the modules needed to reach the root filesystem.
 * Needs: qemu-system-x86, busybox-static, cpio, kmod (see .ci/run).
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const CACHE = process.env.TSK_LAB_CACHE ?? path.join(os.homedir(), '.cache', 'tskeepalived-lab');
/** Modules the initramfs loads, in this order after their dependencies, to mount the host root. */
const BOOT_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay'];
const LAB_VERSION = 3;
/** Printed by the job first: the firmware's and the kernel's chatter before it is not shown. */
const MARK = 'vm-lab: running'; // bump when the initramfs layout changes

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts }).trim();
}

/**
 * @param {string} msg
 * @returns {never}
 */
function fail(msg) {
  process.stderr.write(`vm-lab: ${msg}\n`);
  process.exit(125);
}

function need(cmd, pkg) {
  try {
    sh('sh', ['-c', `command -v ${cmd}`]);
  } catch {
    fail(`${cmd} not found: apt-get install ${pkg}`);
  }
}

/** The kernel package Debian currently points linux-image-amd64 at, or the one already cached. */
function kernelPackage() {
  if (process.env.TSK_LAB_KERNEL) return process.env.TSK_LAB_KERNEL;
  try {
    const deps = sh('apt-cache', ['depends', 'linux-image-amd64']);
    const m = /Depends: (linux-image-[0-9][^\s]*-amd64)/.exec(deps);
    if (m) return m[1];
  } catch {
    /* fall through to the cache */
  }
  const cached = fs.existsSync(CACHE) ? fs.readdirSync(CACHE).filter((d) => d.startsWith('linux-image-')) : [];
  if (cached.length) return cached.sort().at(-1);
  fail('cannot tell which kernel to use: run apt-get update, or set TSK_LAB_KERNEL=linux-image-X-amd64');
}

/** Unpacked kernel tree (vmlinuz + /lib/modules with modules.dep), downloaded once. */
function prepareKernel(pkg) {
  const dir = path.join(CACHE, pkg);
  const done = path.join(dir, '.ready');
  if (fs.existsSync(done)) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  process.stderr.write(`vm-lab: fetching ${pkg} (once; cached in ${CACHE})\n`);
  try {
    sh('apt-get', ['download', pkg], { cwd: dir });
  } catch (e) {
    const err = /** @type {Error & { stderr?: Buffer }} */ (e);
    fail(`apt-get download ${pkg} failed (${err.stderr?.toString().trim() || err.message}); run apt-get update first`);
  }
  const deb = fs.readdirSync(dir).find((f) => f.endsWith('.deb'));
  if (!deb) fail(`apt-get download ${pkg} left no .deb in ${dir}`);
  sh('dpkg-deb', ['-x', deb, path.join(dir, 'root')], { cwd: dir });
  fs.rmSync(path.join(dir, deb));
  const version = fs.readdirSync(path.join(dir, 'root/lib/modules'))[0];
  sh('depmod', ['-b', path.join(dir, 'root'), version]);
  fs.writeFileSync(done, `${version}\n`);
  return dir;
}

/** modules.dep -> the .ko paths to insmod, dependencies first. */
function moduleOrder(modDir, names) {
  const dep = new Map();
  for (const line of fs.readFileSync(path.join(modDir, 'modules.dep'), 'utf8').split('\n')) {
    const [mod, rest] = line.split(':');
    if (!mod) continue;
    const name = path
      .basename(mod)
      .replace(/\.ko(\.\w+)?$/, '')
      .replace(/-/g, '_');
    dep.set(name, { file: mod, deps: (rest ?? '').trim().split(/\s+/).filter(Boolean) });
  }
  const byFile = new Map([...dep.values()].map((d) => [d.file, d]));
  const out = [];
  const seen = new Set();
  const visit = (d) => {
    if (seen.has(d.file)) return;
    seen.add(d.file);
    for (const f of d.deps) visit(byFile.get(f));
    out.push(d.file);
  };
  for (const n of names) {
    const d = dep.get(n);
    if (d) visit(d); // absent = built into this kernel
  }
  return out;
}

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $(cat /modules.order); do insmod /modules/$m || echo "vm-lab: insmod $m failed"; done
arg() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" /proc/cmdline; }
OUT=$(arg tsk_out); MODS=$(arg tsk_mods)
mkdir -p /host /rw /new
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose hostroot /host || { echo "vm-lab: cannot mount host root"; echo o > /proc/sysrq-trigger; }
mount -t tmpfs -o size=75% tmpfs /rw; mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work overlay /new
mount -t proc proc /new/proc; mount -t sysfs sys /new/sys; mount -t devtmpfs dev /new/dev
mkdir -p /new/dev/pts /new/dev/shm; mount -t devpts devpts /new/dev/pts; mount -t tmpfs tmpfs /new/dev/shm
mount -t tmpfs tmpfs /new/run
mkdir -p /new/lib/modules/$(uname -r) /new$OUT
mount --bind /host$MODS /new/lib/modules/$(uname -r)
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 labout /new$OUT
hostname vmlab
chroot /new /bin/sh $OUT/job.sh > /dev/console 2>&1
echo o > /proc/sysrq-trigger
sleep 10
`;

/** The initramfs (busybox + the boot modules), rebuilt when the kernel or this script changes. */
function prepareInitramfs(kdir) {
  const version = fs.readFileSync(path.join(kdir, '.ready'), 'utf8').trim();
  const out = path.join(kdir, `initrd-v${LAB_VERSION}.cpio.gz`);
  if (fs.existsSync(out)) return { initrd: out, version };
  const modDir = path.join(kdir, 'root/lib/modules', version);
  const build = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-initrd-'));
  for (const d of ['bin', 'proc', 'sys', 'dev', 'modules']) fs.mkdirSync(path.join(build, d));
  fs.copyFileSync(sh('sh', ['-c', 'command -v busybox']), path.join(build, 'bin/busybox'));
  fs.chmodSync(path.join(build, 'bin/busybox'), 0o755);
  const order = moduleOrder(modDir, BOOT_MODULES);
  const names = [];
  for (const rel of order) {
    let name = path.basename(rel);
    const src = path.join(modDir, rel);
    if (/\.ko\.xz$/.test(name)) {
      fs.writeFileSync(path.join(build, 'modules', name.replace(/\.xz$/, '')), execFileSync('xz', ['-dc', src]));
      name = name.replace(/\.xz$/, '');
    } else fs.copyFileSync(src, path.join(build, 'modules', name));
    names.push(name);
  }
  fs.writeFileSync(path.join(build, 'modules.order'), names.join('\n') + '\n');
  fs.writeFileSync(path.join(build, 'init'), INIT, { mode: 0o755 });
  sh('sh', ['-c', `find . | cpio -o -H newc --quiet | gzip -1 > '${out}.tmp' && mv '${out}.tmp' '${out}'`], { cwd: build });
  fs.rmSync(build, { recursive: true, force: true });
  return { initrd: out, version };
}

function quote(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

export function parseArgs(argv) {
  const o = { memMb: 2048, cpus: 2, timeoutS: 1800, command: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      o.command = argv.slice(i + 1);
      break;
    } else if (a === '--mem') o.memMb = Number(argv[++i]);
    else if (a === '--cpus') o.cpus = Number(argv[++i]);
    else if (a === '--timeout') o.timeoutS = Number(argv[++i]);
    else if (a === '--prepare') o.prepareOnly = true;
    else fail(`unknown option ${a}`);
  }
  return o;
}

/**
 * Boots the VM, runs `command` in `cwd` inside it, resolves with its exit status.
 * @param {{ command?: string[], cwd?: string, memMb?: number, cpus?: number, timeoutS?: number, env?: Record<string, string>, onOutput?: (text: string) => void }} [options]
 */
export async function runInVm({ command, cwd = process.cwd(), memMb = 2048, cpus = 2, timeoutS = 1800, env = {}, onOutput } = {}) {
  need('qemu-system-x86_64', 'qemu-system-x86');
  need('busybox', 'busybox-static');
  need('cpio', 'cpio');
  need('depmod', 'kmod');
  const kdir = prepareKernel(kernelPackage());
  const { initrd, version } = prepareInitramfs(kdir);
  if (!command?.length) return 0;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-lab-'));
  const exports = Object.entries({ ...env, TSK_IN_VM: '1', CI: process.env.CI || '1' })
    .map(([k, v]) => `export ${k}=${quote(v)}`)
    .join('\n');
  fs.writeFileSync(
    path.join(out, 'job.sh'),
    `echo ${MARK}
export PATH=${quote(path.dirname(process.execPath))}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
${exports}
ip link set lo up
cd ${quote(cwd)} || { echo 125 > ${out}/status; exit; }
${command.map(quote).join(' ')}
echo $? > ${out}/status
sync
`,
  );
  const args = [
    '-accel',
    'tcg',
    '-m',
    String(memMb),
    '-smp',
    String(cpus),
    '-nographic',
    '-no-reboot',
    '-nic',
    'none',
    '-kernel',
    path.join(kdir, `root/boot/vmlinuz-${version}`),
    '-initrd',
    initrd,
    '-append',
    `console=ttyS0 quiet loglevel=1 panic=-1 tsk_out=${out} tsk_mods=${path.join(kdir, 'root/lib/modules', version)}`,
    '-virtfs',
    'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
    '-virtfs',
    `local,path=${out},mount_tag=labout,security_model=none`,
  ];
  const started = Date.now();
  const vm = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const write = onOutput ?? ((s) => process.stdout.write(s));
  let up = false;
  let early = '';
  vm.stdout.on('data', (d) => {
    const text = d.toString().replace(/\r/g, '');
    if (up) return write(text);
    early += text;
    const at = early.indexOf(MARK);
    if (at < 0) return;
    up = true;
    write(early.slice(at));
  });
  vm.stderr.on('data', (d) => write(d.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    vm.kill('SIGKILL');
  }, timeoutS * 1000);
  const code = await new Promise((resolve) => vm.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  let status;
  try {
    status = Number(fs.readFileSync(path.join(out, 'status'), 'utf8').trim());
  } catch {
    status = undefined;
  }
  fs.rmSync(out, { recursive: true, force: true });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (timedOut) {
    process.stderr.write(`vm-lab: timed out after ${timeoutS} s\n`);
    return 124;
  }
  if (status === undefined || Number.isNaN(status)) {
    process.stderr.write(`vm-lab: the command left no exit status (qemu exit ${code}, ${secs} s)\n${up ? '' : early.slice(-4000)}\n`);
    return 125;
  }
  process.stderr.write(`vm-lab: command exited ${status} after ${secs} s in the VM\n`);
  return status;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const o = parseArgs(process.argv.slice(2));
  if (!o.prepareOnly && !o.command.length) fail('usage: vm.mjs [--mem MB] [--cpus N] [--timeout S] [--prepare] -- COMMAND [ARGS...]');
  process.exitCode = await runInVm(o);
}
