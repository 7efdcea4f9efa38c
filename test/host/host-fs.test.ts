/**
 * HostFs under a captured root: a boundary (nothing outside the root is read, whatever the
 * capture's symlinks or a path's ".." say), regular files only (a FIFO never hangs a read), a
 * bounded size, and a non-recording mode for the long-running sampler.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { HostFs, MAX_READ_BYTES } from '../../src/host/host-fs.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-tui-hostfs-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

const root = path.join(scratch, 'root');
const outside = path.join(scratch, 'outside');
fs.mkdirSync(path.join(root, 'proc'), { recursive: true });
fs.mkdirSync(path.join(root, 'sys/devices/system/cpu'), { recursive: true });
fs.mkdirSync(outside);
fs.writeFileSync(path.join(outside, 'secret'), 'not yours\n');
fs.writeFileSync(path.join(root, 'proc/cmdline'), 'quiet\n');
fs.symlinkSync(path.join(outside, 'secret'), path.join(root, 'proc/abs-link'));
fs.symlinkSync('../../outside/secret', path.join(root, 'proc/rel-link'));
fs.symlinkSync('cmdline', path.join(root, 'proc/inside-link'));
fs.symlinkSync(outside, path.join(root, 'sys/out-dir'));
fs.symlinkSync('../proc', path.join(root, 'sys/in-dir'));
execFileSync('mkfifo', [path.join(root, 'proc/fifo')]);

describe('HostFs under a captured root', () => {
  const hostFs = new HostFs(root);

  it('reads files inside, through links that stay inside', () => {
    assert.equal(hostFs.read('/proc/cmdline'), 'quiet\n');
    assert.equal(hostFs.read('/proc/inside-link'), 'quiet\n');
    // Through a linked directory that stays inside, as often as asked (its real path is kept).
    for (let twice = 0; twice < 2; twice++) assert.equal(hostFs.read('/sys/in-dir/cmdline'), 'quiet\n');
  });

  it('never reads outside it: absolute or relative links, "..", linked directories', () => {
    for (const hostPath of ['/proc/abs-link', '/proc/rel-link', '/../outside/secret', '/proc/../../outside/secret', '/sys/out-dir/secret', '/sys/in-dir/abs-link', '/sys/in-dir/rel-link']) {
      assert.equal(hostFs.read(hostPath), null, hostPath);
      assert.equal(hostFs.why(hostPath), 'outside the captured root', hostPath);
      assert.equal(hostFs.exists(hostPath), false, hostPath);
      assert.equal(hostFs.stat(hostPath), null, hostPath);
    }
    assert.deepEqual(hostFs.list('/sys/out-dir'), []);
  });

  it('the root itself is a directory (not "outside"); a link to a FIFO is refused at once; a capture file larger than one read is read whole', () => {
    for (const hostPath of ['/', '/proc/..']) {
      assert.equal(hostFs.read(hostPath), null, hostPath);
      assert.equal(hostFs.why(hostPath), 'is a directory', hostPath);
    }
    fs.symlinkSync('fifo', path.join(root, 'proc/fifo-link'));
    assert.equal(hostFs.read('/proc/fifo-link'), null);
    assert.equal(hostFs.why('/proc/fifo-link'), 'not a regular file');
    const text = 'x'.repeat(100_000);
    fs.writeFileSync(path.join(root, 'proc/long'), text);
    assert.equal(hostFs.read('/proc/long'), text);
  });

  it('refuses a FIFO at once instead of hanging, and a file over the bound', () => {
    assert.equal(hostFs.read('/proc/fifo'), null);
    assert.equal(hostFs.why('/proc/fifo'), 'not a regular file');
    const big = path.join(root, 'proc/big');
    fs.writeFileSync(big, Buffer.alloc(MAX_READ_BYTES + 1, 0x61));
    assert.equal(hostFs.read('/proc/big'), null);
    assert.match(hostFs.why('/proc/big'), /^larger than \d+ MiB$/);
    fs.rmSync(big);
  });

  it('records what it read, unless told not to (the sampler reads thousands of paths)', () => {
    const recording = new HostFs(root);
    recording.read('/proc/cmdline');
    recording.read('/proc/missing');
    assert.deepEqual([...recording.touched], ['/proc/cmdline', '/proc/missing']);
    const quiet = new HostFs(root, { record: false });
    for (let i = 0; i < 100; i++) quiet.read(`/proc/missing-${i}`);
    assert.equal(quiet.read('/proc/cmdline'), 'quiet\n');
    assert.equal(quiet.touched.size, 0);
    assert.equal(quiet.why('/proc/missing-99'), 'missing', 'the latest failure is still explained');
    assert.equal(quiet.why('/proc/missing-0'), 'unreadable', 'older failures are not kept');
  });
});

describe('HostFs on the live root', () => {
  it('reads /proc files (size 0 in stat) to their end', () => {
    const live = new HostFs('/', { record: false });
    const text = live.read('/proc/self/status');
    assert.match(text ?? '', /^Name:/);
    assert.match(text ?? '', /Cpus_allowed_list:/);
  });

  it("reads the sampler's per-thread files at one read each, whole, as the kernel gives them", () => {
    const live = new HostFs('/', { record: false });
    const tid = fs.readdirSync(`/proc/${process.pid}/task`)[0]!;
    for (const file of ['stat', 'status', 'schedstat', 'sched']) {
      const hostPath = `/proc/${process.pid}/task/${tid}/${file}`;
      const text = live.read(hostPath);
      // Both read the kernel's text of the same thread: the same lines (counters may move between).
      assert.equal(text?.split('\n').length, fs.readFileSync(hostPath, 'utf8').split('\n').length, hostPath);
      assert.ok(text?.endsWith('\n'), hostPath);
    }
    assert.match(live.read('/proc/stat') ?? '', /^cpu /);
    assert.match(live.read(`/proc/${process.pid}/stat`) ?? '', new RegExp(`^${process.pid} \\(`));
  });

  it('says a vanished thread is missing', () => {
    const live = new HostFs('/', { record: false });
    assert.equal(live.read(`/proc/${process.pid}/task/999999999/stat`), null);
    assert.equal(live.why(`/proc/${process.pid}/task/999999999/stat`), 'missing');
  });
});

describe('HostFs keeping the sampler\'s files open (keptOpen)', () => {
  const openFds = () => fs.readdirSync('/proc/self/fd').length;
  const mainTid = String(process.pid);

  it('reads a kept file afresh each time, through one descriptor', () => {
    const live = new HostFs('/').keptOpen();
    const before = openFds();
    try {
      const file = `/proc/${process.pid}/task/${mainTid}/status`;
      const switches = () => Number(/^voluntary_ctxt_switches:\s*(\d+)$/m.exec(live.read(file) ?? '')?.[1]);
      const first = switches();
      // A sleep in the kernel is one voluntary switch at least.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      const second = switches();
      assert.ok(second > first, `voluntary switches ${first} then ${second}: the second read must be the kernel's new text`);
      assert.equal(live.keptCount, 1);
      assert.equal(openFds(), before + 1, 'one descriptor for both reads');
      assert.match(live.read(`/proc/${process.pid}/task/${mainTid}/stat`) ?? '', new RegExp(`^${process.pid} \\(`));
      assert.equal(live.keptCount, 2);
      assert.equal(openFds(), before + 2);
    } finally {
      live.closeKept();
    }
    assert.equal(live.keptCount, 0);
    assert.equal(openFds(), before, 'closeKept closes them all');
  });

  it('says a task that ended is missing, and closes its descriptor', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const pid = child.pid!;
    const live = new HostFs('/').keptOpen();
    const before = openFds();
    try {
      const file = `/proc/${pid}/task/${pid}/stat`;
      assert.match(live.read(file) ?? '', new RegExp(`^${pid} \\(sleep\\)`));
      assert.equal(live.keptCount, 1);
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited; // and reaped: its /proc entry is gone
      assert.equal(live.read(file), null);
      assert.equal(live.why(file), 'missing');
      assert.equal(live.keptCount, 0);
      assert.equal(openFds(), before, 'its descriptor is closed');
    } finally {
      child.kill('SIGKILL');
      live.closeKept();
    }
  });

  it('closes at the end of a pass the files that pass did not read, and keeps at most its limit', () => {
    const live = new HostFs('/').keptOpen(2);
    const before = openFds();
    try {
      const files = [`/proc/${process.pid}/stat`, `/proc/${process.pid}/status`, '/proc/stat'];
      for (const file of files) assert.ok((live.read(file) ?? '').length > 0, file);
      assert.equal(live.keptCount, 2, 'the third is read by an open of its own');
      assert.equal(openFds(), before + 2);
      live.endPass();
      assert.ok((live.read(files[0]!) ?? '').length > 0);
      live.endPass();
      assert.equal(live.keptCount, 1, 'the file the last pass did not read is closed');
      assert.equal(openFds(), before + 1);
    } finally {
      live.closeKept();
    }
    assert.equal(openFds(), before);
  });

  it('keeps at most a quarter of the open-file limit, and once out of descriptors gives them all back and keeps none again', () => {
    const script = `
      import * as fs from 'node:fs';
      import { HostFs } from ${JSON.stringify(new URL('../../src/host/host-fs.ts', import.meta.url).href)};
      const live = new HostFs('/').keptOpen();
      const pid = process.pid;
      const tids = fs.readdirSync('/proc/self/task');
      const files = tids.flatMap((tid) => ['stat', 'status', 'schedstat', 'sched'].map((name) => '/proc/' + pid + '/task/' + tid + '/' + name)).filter((file) => fs.existsSync(file));
      let read = 0;
      for (const file of files) if ((live.read(file) ?? '').length > 0) read += 1;
      const capped = live.keptCount;
      live.closeKept();
      // Two kept, the table filled, then a file not kept yet: read all the same, the kept ones given back.
      live.read('/proc/' + pid + '/stat');
      live.read('/proc/' + pid + '/status');
      const before = live.keptCount;
      const hogs = [];
      try { for (;;) hogs.push(fs.openSync('/dev/null', 'r')); } catch {}
      const text = live.read('/proc/' + pid + '/task/' + tids[0] + '/status');
      const afterFull = live.keptCount;
      for (const fd of hogs) fs.closeSync(fd);
      live.read('/proc/' + pid + '/task/' + tids[0] + '/stat');
      console.log(JSON.stringify({ files: files.length, read, capped, before, afterFull, text: /^Name:/.test(text ?? ''), keptAfter: live.keptCount }));
    `;
    const run = spawnSync('bash', ['-c', 'ulimit -n 64 && exec "$0" --import tsx --input-type=module -e "$1"', process.execPath, script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    assert.ok(result.files > 16, `${result.files} files: more than the cap, to see it hold`);
    assert.equal(result.read, result.files, 'every file read');
    assert.equal(result.capped, 16, 'a quarter of 64');
    assert.deepEqual([result.before, result.afterFull, result.text, result.keptAfter], [2, 0, true, 0]);
  });

  it('keeps nothing open under a captured root, nor for files other than the counters', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-tui-kept-'));
    try {
      fs.mkdirSync(path.join(root, 'proc/42/task/42'), { recursive: true });
      fs.writeFileSync(path.join(root, 'proc/42/task/42/stat'), '42 (x) S 1\n');
      const captured = new HostFs(root).keptOpen();
      assert.equal(captured.read('/proc/42/task/42/stat'), '42 (x) S 1\n');
      assert.equal(captured.keptCount, 0);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
    const live = new HostFs('/').keptOpen();
    assert.match(live.read('/proc/self/status') ?? '', /^Name:/);
    assert.match(live.read('/proc/cpuinfo') ?? '', /processor/);
    assert.equal(live.keptCount, 0);
  });
});

describe('HostFs paths on the live root', () => {
  it('takes absolute host paths only: a relative one is refused, never read from the working directory', () => {
    const live = new HostFs('/', { record: false });
    assert.equal(live.read('package.json'), null);
    assert.match(live.why('package.json') ?? '', /must be absolute/);
  });
});
