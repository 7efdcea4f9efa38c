/**
 * The fix script, built from real checks on the fixture hosts, as a user runs it: it is run
 * twice (bash and dash, as its #!/bin/sh may be either) against a copy of the host's tree with
 * its absolute paths moved into that copy and every host-changing command replaced by a stub
 * that records the call and does to the fake root what the real command would do (mount adds a
 * /proc/mounts line and refuses a mounted target, modprobe fails where /proc/modules is absent,
 * a package manager "installs" the binary). Both runs must succeed, the second must record no
 * call and leave the tree byte for byte as the first left it. Host strings (a mount point with
 * an encoded newline, a hostile os-release) stay inside quotes or comments.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ALL_CHECKS } from '../../src/audit/checks/index.js';
import { buildFixScript } from '../../src/audit/fix-script.js';
import { buildProbeContext } from '../../src/audit/probe-context.js';
import { runChecks } from '../../src/audit/run-checks.js';
import type { ProbeContext } from '../../src/audit/types.js';
import { HostFs } from '../../src/host/host-fs.js';
import { realClock } from '../../src/run/real-services.js';
import { scratchDir } from '../helpers/fixture-root.js';
import { REPO } from '../helpers/run-cli.js';
import { auditFixture } from './fixture-hosts.js';

const HOSTS = path.join(REPO, 'test/fixtures/hosts');

/**
 * The audit of a captured root, with its command checks answered as on a live host where
 * qemu-system, virsh and numactl are missing, so the script carries the package commands.
 */
function probeContext(root: string): ProbeContext {
  const ctx = buildProbeContext({ clock: realClock, hostFs: new HostFs(root), capturedRoot: true, env: {}, versionCacheFile: null });
  return { ...ctx, run: async () => ({ ok: false, stdout: '', stderr: '', exitCode: 1, timedOut: false, error: 'not run' }), which: () => null };
}

async function scriptFor(root: string): Promise<string> {
  return buildFixScript(await runChecks(ALL_CHECKS, probeContext(root)), new Date(0));
}

/** Lines the shell runs (not comments, not the preamble). */
function liveLines(script: string): string[] {
  return script.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#') && line !== 'set -eu');
}

/** The script with its absolute host paths moved under `fake` (/dev/null stays the real one). */
function underFakeRoot(script: string, fake: string): string {
  return script.replace(/(^|[\s'"=>;{(])\/(etc|sys|dev|proc|usr)\/(?!null\b)/gm, (_, lead: string, top: string) => `${lead}${fake}/${top}/`);
}

const LOG_CALL = 'printf \'%s\\n\' "$KVM_TUI_RUN $(basename "$0") $*" >> "$KVM_TUI_LOG"';
const IS_MOUNTED = 'awk -v t="${1#"$FAKE_ROOT"}" \'$2 == t { found = 1 } END { exit !found }\' "$FAKE_ROOT/proc/mounts"';

/** Stubs: each logs its call, then does to $FAKE_ROOT what the real command does to a host. */
const STUBS: Record<string, string> = {
  mount: `${LOG_CALL}
type=none; opts=; src=; target=
while [ $# -gt 0 ]; do
  case $1 in
    -t) type=$2; shift 2 ;;
    -o) opts=,$2; shift 2 ;;
    *) if [ $# -gt 1 ]; then src=$1; fi; target=$1; shift ;;
  esac
done
set -- "$target"
if ${IS_MOUNTED}; then echo "mount: $target: already mounted" >&2; exit 32; fi
[ -d "$target" ] || { echo "mount: $target: mount point does not exist" >&2; exit 32; }
echo "\${src:-none} \${target#"$FAKE_ROOT"} $type rw$opts 0 0" >> "$FAKE_ROOT/proc/mounts"`,
  mountpoint: `[ "$1" = -q ] && shift
${IS_MOUNTED}`,
  modprobe: `${LOG_CALL}
[ -e "$FAKE_ROOT/proc/modules" ] || { echo "modprobe: FATAL: Module $* not found (kernel without module support)" >&2; exit 1; }
if [ "$1" = -r ]; then rm -rf "$FAKE_ROOT/sys/module/$2"; grep -v "^$2 " "$FAKE_ROOT/proc/modules" > "$FAKE_ROOT/proc/modules.new" || true; mv "$FAKE_ROOT/proc/modules.new" "$FAKE_ROOT/proc/modules"; exit 0; fi
name=$1; shift
mkdir -p "$FAKE_ROOT/sys/module/$name/parameters"
grep -q "^$name " "$FAKE_ROOT/proc/modules" || echo "$name 16384 0 - Live 0x0000000000000000" >> "$FAKE_ROOT/proc/modules"
for param; do value=\${param#*=}; [ "$value" = 1 ] && value=Y; echo "$value" > "$FAKE_ROOT/sys/module/$name/parameters/\${param%%=*}"; done`,
  sysctl: `${LOG_CALL}
[ "$1" = -w ] && shift
file="$FAKE_ROOT/proc/sys/$(printf '%s' "\${1%%=*}" | tr . /)"
mkdir -p "$(dirname "$file")"
echo "\${1#*=}" > "$file"`,
  // A device node the test can make without root: a link to the real /dev/null is a char device to [ -c ].
  mknod: `${LOG_CALL}
if [ -e "$1" ] || [ -L "$1" ]; then echo "mknod: $1: File exists" >&2; exit 1; fi
ln -s /dev/null "$1"`,
  rm: `${LOG_CALL}
exec /bin/rm "$@"`,
  'tuned-adm': `${LOG_CALL}
mkdir -p "$FAKE_ROOT/etc/tuned"; echo "$2" > "$FAKE_ROOT/etc/tuned/active_profile"`,
};

/** What each package "installs": a binary on PATH (the stub dir) or RHEL's /usr/libexec/qemu-kvm. */
const PACKAGE_MANAGER = `${LOG_CALL}
for word; do
  case $word in
    numactl) bin=numactl ;;
    qemu-system-x86|qemu-x86|qemu-base) bin=qemu-system-x86_64 ;;
    libvirt-clients|libvirt-client|libvirt) bin=virsh ;;
    qemu-kvm) mkdir -p "$FAKE_ROOT/usr/libexec"; printf '#!/bin/sh\\n' > "$FAKE_ROOT/usr/libexec/qemu-kvm"; chmod 755 "$FAKE_ROOT/usr/libexec/qemu-kvm"; continue ;;
    *) continue ;;
  esac
  printf '#!/bin/sh\\n' > "$STUB_BIN/$bin"; chmod 755 "$STUB_BIN/$bin"
done`;

const RECORD_ONLY = ['chgrp', 'chmod', 'usermod', 'systemctl', 'update-grub', 'grub2-mkconfig', 'udevadm', 'service', 'cpupower'];
const PACKAGE_MANAGERS = ['apt-get', 'dnf', 'zypper', 'pacman'];
/** Real tools the script's own lines use; they only touch paths inside the fake root. */
const REAL_TOOLS = ['grep', 'mkdir', 'tee', 'printf', 'cat'];

/** Every file, directory and link under `dir` with its content: what "changed nothing" compares. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (relative: string) => {
    for (const name of fs.readdirSync(path.join(dir, relative)).sort()) {
      const entry = path.join(relative, name);
      const stat = fs.lstatSync(path.join(dir, entry));
      if (stat.isSymbolicLink()) out[entry] = `link -> ${fs.readlinkSync(path.join(dir, entry))}`;
      else if (stat.isDirectory()) {
        out[entry] = 'dir';
        walk(entry);
      } else out[entry] = fs.readFileSync(path.join(dir, entry), 'utf8');
    }
  };
  walk('');
  return out;
}

interface ScriptRuns {
  fake: string;
  sandbox: string;
  /** Stub calls of each run ("sysctl -w vm.nr_hugepages=1000"). */
  calls: [string[], string[]];
  trees: [Record<string, string>, Record<string, string>];
}

/** Runs the script twice with `shell` against a copy of `hostRoot`, stubs first on PATH. */
function runTwice(script: string, hostRoot: string, shell: string, label: string): ScriptRuns {
  const work = scratchDir(label);
  const fake = path.join(work, 'root');
  const stub = path.join(work, 'bin');
  const sandbox = path.join(work, 'cwd');
  fs.cpSync(hostRoot, fake, { recursive: true });
  for (const dir of [stub, sandbox, path.join(fake, 'etc')]) fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(path.join(fake, 'etc/fstab'))) fs.writeFileSync(path.join(fake, 'etc/fstab'), '# fake fstab\n');
  const log = path.join(work, 'calls.log');
  fs.writeFileSync(log, '');
  const writeStub = (name: string, body: string) => fs.writeFileSync(path.join(stub, name), `#!/bin/sh\nPATH=/usr/bin:/bin\n${body}\n`, { mode: 0o755 });
  for (const [name, body] of Object.entries(STUBS)) writeStub(name, body);
  for (const name of PACKAGE_MANAGERS) writeStub(name, PACKAGE_MANAGER);
  for (const name of RECORD_ONLY) writeStub(name, LOG_CALL);
  for (const name of REAL_TOOLS) fs.symlinkSync(`/bin/${name}`, path.join(stub, name));
  const file = path.join(work, 'fixes.sh');
  fs.writeFileSync(file, underFakeRoot(script, fake), { mode: 0o755 });
  const trees: Record<string, string>[] = [];
  for (const run of ['1', '2']) {
    const result = spawnSync(shell, [file], { cwd: sandbox, env: { PATH: stub, FAKE_ROOT: fake, STUB_BIN: stub, KVM_TUI_LOG: log, KVM_TUI_RUN: run }, encoding: 'utf8' });
    assert.equal(result.status, 0, `${shell} run ${run} of ${label} failed (exit ${result.status}${result.error ? `, ${result.error.message}` : ''}):\n${result.stderr}`);
    trees.push(snapshot(fake));
  }
  const lines = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const callsOf = (run: string) => lines.filter((line) => line.startsWith(`${run} `)).map((line) => line.slice(2).replaceAll(fake, ''));
  return { fake, sandbox, calls: [callsOf('1'), callsOf('2')], trees: [trees[0]!, trees[1]!] };
}

/** What the first run must have done on each host: the live fixes really ran. */
const FIRST_RUN_CALLS: Record<string, string[]> = {
  bare: [
    'modprobe vhost_net',
    'modprobe tun',
    'sysctl -w vm.nr_hugepages=1000',
    'mount -t hugetlbfs -o pagesize=2M hugetlbfs /dev/hugepages',
    'mount -t cgroup -o cpuset cgroup /sys/fs/cgroup/cpuset',
    'apt-get install -y --no-install-recommends qemu-system-x86 qemu-utils',
    'apt-get install -y --no-install-recommends numactl',
  ],
  pvm: ['sysctl -w vm.nr_hugepages=1024', 'mount -t hugetlbfs -o pagesize=2M hugetlbfs /dev/hugepages', 'apt-get install -y --no-install-recommends numactl'],
  'pvm-no-kvm': ['apt-get install -y --no-install-recommends numactl'],
  'well-tuned': ['dnf install -y qemu-kvm', 'dnf install -y numactl'],
  'hugepages-one-node': ['mount -t hugetlbfs -o pagesize=1G hugetlbfs /dev/hugepages1G', 'sysctl -w kernel.numa_balancing=0'],
};

describe('fix scripts run twice against a fake root', () => {
  for (const [host, expectedCalls] of Object.entries(FIRST_RUN_CALLS)) {
    it(`${host}: both runs succeed, the second records no call and changes no file`, async () => {
      const root = path.join(HOSTS, host);
      const script = await scriptFor(root);
      assert.equal(spawnSync('bash', ['-n'], { input: script }).status, 0);
      const live = liveLines(script);
      assert.equal(new Set(live).size, live.length, `a live command appears twice:\n${live.join('\n')}`);
      for (const shell of ['/bin/bash', '/bin/sh']) {
        const runs = runTwice(script, root, shell, `fix-${host}-${path.basename(shell)}`);
        for (const call of expectedCalls) assert.ok(runs.calls[0].includes(call), `${shell}: run 1 of ${host} ran "${call}"; it ran:\n${runs.calls[0].join('\n')}`);
        assert.deepEqual(runs.calls[1], [], `${shell}: the second run of ${host} changed nothing`);
        assert.deepEqual(runs.trees[1], runs.trees[0], `${shell}: the second run of ${host} left every file as the first did`);
        const fstab = fs.readFileSync(path.join(runs.fake, 'etc/fstab'), 'utf8').split('\n').filter((line) => line && !line.startsWith('#'));
        assert.equal(new Set(fstab).size, fstab.length, `fstab lines doubled:\n${fstab.join('\n')}`);
        assert.deepEqual(fs.readdirSync(runs.sandbox), [], 'nothing was written relative to the working directory');
      }
    });
  }

  it('bare: after the first run the runtime fixes it could make show as pass in a new audit of the fake root', async () => {
    const root = path.join(HOSTS, 'bare');
    const runs = runTwice(await scriptFor(root), root, '/bin/bash', 'fix-bare-reaudit');
    const before = await auditFixture('bare');
    const after = new Map((await runChecks(ALL_CHECKS, probeContext(runs.fake))).map((result) => [result.id, result.status]));
    for (const id of ['mem.hugetlbfs', 'mem.thp', 'cpu.governor', 'storage.io-scheduler']) {
      assert.equal(before.get(id)!.status, 'warn', `${id} needed a fix before`);
      assert.equal(after.get(id), 'pass', `${id} after the script`);
    }
  });
});

describe('fix script content', () => {
  it('package commands are for the detected distribution only (os-release through the host reader)', async () => {
    const debian = liveLines(await scriptFor(path.join(HOSTS, 'bare'))).join('\n');
    assert.match(debian, /\|\| apt-get install -y --no-install-recommends numactl$/m);
    assert.doesNotMatch(debian, /\b(dnf|zypper|pacman)\b/, 'Ubuntu: apt-get only');
    const rocky = await scriptFor(path.join(HOSTS, 'well-tuned'));
    assert.ok(liveLines(rocky).includes('command -v qemu-system-x86_64 >/dev/null 2>&1 || [ -x /usr/libexec/qemu-kvm ] || dnf install -y qemu-kvm'), rocky);
    assert.doesNotMatch(liveLines(rocky).join('\n'), /\bapt-get\b/, 'Rocky: dnf only');
    assert.match(rocky, /# note: for Rocky Linux 9\.3 \(Blue Onyx\) \(\/etc\/os-release\)/);
    // pvm has only /usr/lib/os-release, the fallback os-release(5) names.
    assert.match(await scriptFor(path.join(HOSTS, 'pvm')), /# note: for Debian GNU\/Linux 12 \(bookworm\) \(\/usr\/lib\/os-release\)/);
    // No os-release: every family's command is there, as an instruction only.
    const unknown = await scriptFor(path.join(HOSTS, 'hugepages-one-node'));
    assert.doesNotMatch(liveLines(unknown).join('\n'), /apt-get|dnf|zypper|pacman/);
    assert.match(unknown, /^# Debian\/Ubuntu: command -v numactl >\/dev\/null 2>&1 \|\| apt-get install -y --no-install-recommends numactl$/m);
    assert.match(unknown, /^# Fedora\/RHEL: command -v numactl >\/dev\/null 2>&1 \|\| dnf install -y numactl$/m);
    assert.match(unknown, /distribution unknown \(\/etc\/os-release, \/usr\/lib\/os-release: missing\): uncomment the line for yours/);
  });

  for (const host of ['pvm', 'pvm-no-kvm']) {
    it(`${host}: no live modprobe on a kernel without module support; the reason stands beside the commented line`, async () => {
      const script = await scriptFor(path.join(HOSTS, host));
      assert.doesNotMatch(liveLines(script).join('\n'), /modprobe|modules-load\.d/);
      assert.match(script, /^# not on this host \(this kernel has no loadable module support \(no \/proc\/modules\)\): test -d \/sys\/module\/vhost_net \|\| modprobe vhost_net$/m);
    });
  }

  it('a mount point with an encoded newline stays one quoted word: nothing after the newline runs', async () => {
    const root = path.join(scratchDir('fix-hostile'), 'root');
    fs.cpSync(path.join(HOSTS, 'bare'), root, { recursive: true });
    const mounts = fs.readFileSync(path.join(root, 'proc/mounts'), 'utf8').split('\n').filter((line) => line && !/cgroup/.test(line));
    mounts.push('cgroup2 /sys/fs/cgroup\\012touch\\040PWNED cgroup2 rw 0 0');
    fs.writeFileSync(path.join(root, 'proc/mounts'), mounts.join('\n') + '\n');
    const script = await scriptFor(root);
    assert.equal(spawnSync('bash', ['-n'], { input: script }).status, 0);
    assert.doesNotMatch(script, /^[^#]*PWNED/m, 'the hostile mount point reaches no live line');
    const { sandbox } = runTwice(script, root, '/bin/bash', 'fix-hostile-run');
    assert.deepEqual(fs.readdirSync(sandbox), [], 'the injected touch never ran');
  });

  it('a hostile os-release (quotes, $(...), control characters) reaches no live line', async () => {
    const root = path.join(scratchDir('fix-hostile-os'), 'root');
    fs.cpSync(path.join(HOSTS, 'bare'), root, { recursive: true });
    fs.writeFileSync(path.join(root, 'etc/os-release'), 'ID=debian\nPRETTY_NAME="Debian $(touch PWNED) \\" `touch PWNED2`\x1b[31m"\n');
    const script = await scriptFor(root);
    assert.equal(spawnSync('bash', ['-n'], { input: script }).status, 0);
    assert.doesNotMatch(liveLines(script).join('\n'), /PWNED|\x1b/);
    assert.match(script, /# note: for Debian \$\(touch PWNED\) " `touch PWNED2`\[31m \(\/etc\/os-release\)/);
    fs.writeFileSync(path.join(root, 'etc/os-release'), "ID='debian;touch PWNED'\n");
    const odd = await scriptFor(root);
    assert.doesNotMatch(liveLines(odd).join('\n'), /PWNED|apt-get/, 'an ID that is not a plain word is no known distribution');
    const { sandbox } = runTwice(script, root, '/bin/bash', 'fix-hostile-os-run');
    assert.deepEqual(fs.readdirSync(sandbox), []);
  });
});

describe('fix scripts on changed hosts', () => {
  it('modules loaded but no device nodes (no udev): the nodes are made once, with no rm or mknod on the second run', async () => {
    const root = path.join(scratchDir('fix-no-nodes'), 'root');
    fs.cpSync(path.join(HOSTS, 'well-tuned'), root, { recursive: true });
    for (const node of ['dev/kvm', 'dev/vhost-net']) fs.rmSync(path.join(root, node));
    const script = await scriptFor(root);
    assert.ok(liveLines(script).includes('[ -c /dev/kvm ] || { rm -f /dev/kvm; mknod /dev/kvm c 10 232; chgrp kvm /dev/kvm; chmod 660 /dev/kvm; }'), script);
    for (const shell of ['/bin/bash', '/bin/sh']) {
      const runs = runTwice(script, root, shell, `fix-no-nodes-${path.basename(shell)}`);
      for (const call of ['mknod /dev/kvm c 10 232', 'chgrp kvm /dev/kvm', 'mknod /dev/vhost-net c 10 238']) assert.ok(runs.calls[0].includes(call), `${call} in:\n${runs.calls[0].join('\n')}`);
      assert.deepEqual(runs.calls[1], []);
      assert.deepEqual(runs.trees[1], runs.trees[0]);
    }
  });
});
