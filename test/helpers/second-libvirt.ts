/**
 * A second, independent libvirt daemon standing in for a second host: a per-user (session)
 * libvirtd run as an unprivileged system user, with its own sockets, state, config and logs
 * under a temp folder; root reaches it through its socket (qemu+unix:///session?socket=...).
 * Started and stopped for real, so a test can take the "host" down and bring it back.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const FLEET_USER = 'kvmtui-fleet';

export interface SecondLibvirt {
  uri: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the daemon and removes its folder (domains it ran die with their QEMU). */
  remove(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function secondLibvirt(): SecondLibvirt {
  if (process.getuid?.() !== 0) throw new Error('the second libvirt daemon is started as root for an unprivileged user: run the real suite as root (scripts/test-all.sh does)');
  if (spawnSync('id', [FLEET_USER]).status !== 0) {
    execFileSync('useradd', ['--system', '-M', '-d', '/nonexistent', '-s', '/usr/sbin/nologin', FLEET_USER]);
  }
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-tui-second-libvirt-'));
  fs.chmodSync(base, 0o755);
  const home = path.join(base, 'home');
  const run = path.join(base, 'run');
  for (const dir of [home, run]) {
    fs.mkdirSync(dir, { mode: 0o700 });
    execFileSync('chown', [FLEET_USER, dir]);
  }
  const socket = path.join(run, 'libvirt', 'libvirt-sock');
  const pidFile = path.join(run, 'libvirt', 'libvirtd.pid');
  const uri = `qemu+unix:///session?socket=${socket}`;
  const env = `HOME=${home} XDG_RUNTIME_DIR=${run} XDG_CONFIG_HOME=${home}/.config XDG_CACHE_HOME=${home}/.cache`;
  const answers = () => spawnSync('virsh', ['-c', uri, 'version'], { encoding: 'utf8', timeout: 60_000 }).status === 0;
  const daemonPid = () => {
    try {
      return Number(fs.readFileSync(pidFile, 'utf8').trim()) || null;
    } catch {
      return null;
    }
  };
  return {
    uri,
    async start() {
      execFileSync('runuser', ['-u', FLEET_USER, '--', 'sh', '-c', `env ${env} libvirtd --daemon --timeout 0`]);
      for (let i = 0; i < 120 && !answers(); i++) await sleep(500);
      if (!answers()) throw new Error(`the second libvirtd (${uri}) did not answer within 60 s`);
    },
    async stop() {
      const pid = daemonPid();
      if (pid === null) return;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          return;
        }
        await sleep(100);
      }
      process.kill(pid, 'SIGKILL');
    },
    async remove() {
      await this.stop();
      // Everything of the fleet user (QEMUs the daemon started, its virtlogd) ends with it.
      spawnSync('pkill', ['-KILL', '-u', FLEET_USER]);
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}
