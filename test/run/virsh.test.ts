/**
 * The virsh runner (src/run/virsh.ts) with a fake process runner: the argv it builds (one word
 * per domain reference, whatever the name holds), the environment and timeouts it passes, the
 * errors and hints it turns failures into, and the parsers for the tables virsh prints (the
 * real-libvirt tests run the same parsers on live output).
 */
import { realClock } from '../../src/run/real-services.js';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import type { CommandResult } from '../../src/run/run-command.js';
import { SteppingClock } from '../helpers/fake-clock.js';
import { failed, fakeRunner, ok } from '../helpers/fake-runner.js';
import { parseEmulatorpin, parseIothreadinfo, parseVcpupinTable, Virsh, VirshError } from '../../src/run/virsh.js';

describe('Virsh: argv, environment, timeouts', () => {
  it('passes the URI, --quiet, C locale and the default timeout; a hostile domain name is one --domain= word', async () => {
    const { run, calls } = fakeRunner([ok(), ok('running\n')]);
    const virsh = new Virsh({ uri: 'qemu:///system', env: {}, clock: realClock, run, timeoutMs: 1234 });
    const name = `-vm "q' $(x) <&> ;,☃`;
    await virsh.start(name);
    assert.equal(await virsh.domainState(name), 'running');
    assert.deepEqual(calls[0]!.argv, ['virsh', '--quiet', '--connect', 'qemu:///system', 'start', `--domain=${name}`]);
    assert.deepEqual(calls[1]!.argv.slice(4), ['domstate', `--domain=${name}`]);
    assert.equal(calls[0]!.options?.timeoutMs, 1234);
    assert.equal(calls[0]!.options?.env?.LC_ALL, 'C');
  });

  it('define writes the XML to a private file, passes it with --file, removes it, and returns the UUID', async () => {
    let seen: { file: string; mode: number; content: string } | null = null;
    const { run, calls } = fakeRunner([
      (call) => {
        const file = call.argv[call.argv.indexOf('--file') + 1]!;
        seen = { file, mode: fs.statSync(file).mode & 0o777, content: fs.readFileSync(file, 'utf8') };
        return ok();
      },
      ok('6f1c0e7e-5a52-4a8e-9d4e-3d8a1b2c3d4e\n'),
    ]);
    const virsh = new Virsh({ uri: 'qemu:///session', env: {}, clock: realClock, run });
    const uuid = await virsh.define('<domain type="qemu"><name>a &amp; b</name></domain>\n', 'a & b');
    assert.equal(uuid, '6f1c0e7e-5a52-4a8e-9d4e-3d8a1b2c3d4e');
    assert.ok(seen);
    const { file, mode, content } = seen as { file: string; mode: number; content: string };
    assert.equal(mode, 0o600);
    assert.equal(content, '<domain type="qemu"><name>a &amp; b</name></domain>\n');
    assert.equal(fs.existsSync(file), false, 'the temp file is gone');
    assert.deepEqual(calls[1]!.argv.slice(4), ['domuuid', '--domain=a & b']);
  });

  it('the live pin queries use --live and parse what virsh prints', async () => {
    const { run, calls } = fakeRunner([ok(' 0   1\n 1   0,2-3\n'), ok('0-1\n'), ok(' 1   1\n 2   0\n')]);
    const virsh = new Virsh({ uri: 'qemu:///system', env: {}, clock: realClock, run });
    assert.deepEqual([...(await virsh.vcpuPins('vm'))], [[0, [1]], [1, [0, 2, 3]]]);
    assert.deepEqual(await virsh.emulatorPins('vm'), [0, 1]);
    assert.deepEqual([...(await virsh.iothreadPins('vm'))], [[1, [1]], [2, [0]]]);
    assert.deepEqual(calls.map((call) => call.argv.slice(4)), [
      ['vcpupin', '--domain=vm', '--live'],
      ['emulatorpin', '--domain=vm', '--live'],
      ['iothreadinfo', '--domain=vm', '--live'],
    ]);
  });

  it('qmp sends one JSON command and returns its "return"; a QMP error throws', async () => {
    const { run, calls } = fakeRunner([ok('{"return":[{"cpu-index":0,"thread-id":42}],"id":"libvirt-7"}'), ok('{"error":{"class":"GenericError","desc":"no such thing"}}')]);
    const virsh = new Virsh({ uri: 'qemu:///system', env: {}, clock: realClock, run });
    assert.deepEqual(await virsh.qmp('vm', 'query-cpus-fast'), [{ 'cpu-index': 0, 'thread-id': 42 }]);
    assert.deepEqual(calls[0]!.argv.slice(4), ['qemu-monitor-command', '--domain=vm', '{"execute":"query-cpus-fast"}']);
    await assert.rejects(virsh.qmp('vm', 'query-nothing', { x: 1 }), /QMP query-nothing failed: no such thing/);
    assert.equal(calls[1]!.argv[6], '{"execute":"query-nothing","arguments":{"x":1}}');
  });
});

describe('Virsh: failures', () => {
  it('a failure throws VirshError with virsh\'s own message, without the "error:" prefixes', async () => {
    const { run } = fakeRunner([failed("error: Failed to start domain 'vm'\nerror: internal error: process exited while connecting to monitor\n")]);
    const virsh = new Virsh({ uri: 'qemu:///system', env: {}, clock: realClock, run });
    await assert.rejects(virsh.start('vm'), (error: unknown) => {
      assert.ok(error instanceof VirshError);
      assert.equal(error.message, "virsh start failed: Failed to start domain 'vm' internal error: process exited while connecting to monitor");
      assert.deepEqual(error.args, ['start', '--domain=vm']);
      return true;
    });
  });

  it('hints: daemon not running, virsh missing, no permission', async () => {
    const cases: Array<[CommandResult, RegExp]> = [
      [failed("error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory\n"), /start libvirtd/],
      [failed('', null, 'virsh: not found'), /apt-get install libvirt-clients/],
      [failed('error: authentication unavailable: no polkit agent available to authenticate action\n'), /qemu:\/\/\/session/],
    ];
    for (const [result, hint] of cases) {
      const { run } = fakeRunner([result]);
      await assert.rejects(new Virsh({ uri: 'qemu:///system', env: {}, clock: realClock, run }).run(['version']), (error: unknown) => error instanceof VirshError && hint.test(error.hint ?? ''));
    }
  });

  it('domainState is null for a domain that does not exist, and throws for other failures', async () => {
    const { run } = fakeRunner([failed("error: failed to get domain 'nope'\n"), failed('error: Failed to connect socket: Connection refused\n')]);
    const virsh = new Virsh({ uri: 'qemu:///system', env: {}, clock: realClock, run });
    assert.equal(await virsh.domainState('nope'), null);
    await assert.rejects(virsh.domainState('vm'), VirshError);
  });

  it('waitUntilReady retries until the daemon answers', async () => {
    const { run, calls } = fakeRunner([failed('error: Failed to connect socket: Connection refused\n'), failed('error: Failed to connect socket: Connection refused\n'), ok('Running hypervisor: QEMU 7.2.0\n')]);
    const virsh = new Virsh({ uri: 'qemu:///system', env: {}, clock: new SteppingClock(), run });
    assert.match(await virsh.waitUntilReady(10_000), /QEMU 7\.2\.0/);
    assert.equal(calls.length, 3);
    assert.ok(calls.every((call) => call.argv.at(-1) === 'version'));
  });

  it('waitUntilReady gives up at its deadline with the last error and a hint', async () => {
    const refused = () => failed('error: Failed to connect socket: Connection refused\n');
    const { run } = fakeRunner(Array.from({ length: 100 }, () => refused));
    const virsh = new Virsh({ uri: 'qemu:///system', env: {}, clock: new SteppingClock(), run });
    const started = Date.now();
    await assert.rejects(virsh.waitUntilReady(600), (error: unknown) => error instanceof VirshError && /did not answer within 1 s: Failed to connect socket/.test(error.message) && /start libvirtd/.test(error.hint ?? ''));
    assert.ok(Date.now() - started < 5000);
  });
});

describe('virsh table parsers', () => {
  it('vcpupin with and without the header', () => {
    const withHeader = ' VCPU   CPU Affinity\n----------------------\n 0      1\n 1      0-3,8\n\n';
    assert.deepEqual([...parseVcpupinTable(withHeader)], [[0, [1]], [1, [0, 1, 2, 3, 8]]]);
    assert.deepEqual([...parseVcpupinTable(' 0   1\n 1   0\n')], [[0, [1]], [1, [0]]]);
  });

  it('emulatorpin with "*:" and as printed under --quiet', () => {
    assert.deepEqual(parseEmulatorpin('emulator: CPU Affinity\n----------------------------------\n       *: 0-1\n'), [0, 1]);
    assert.deepEqual(parseEmulatorpin('0\n'), [0]);
    assert.throws(() => parseEmulatorpin('error: nothing\n'), /unexpected virsh emulatorpin output/);
  });

  it('iothreadinfo', () => {
    assert.deepEqual([...parseIothreadinfo(' IOThread ID   CPU Affinity\n-----------------------------\n 1             1\n 2             0,1\n')], [[1, [1]], [2, [0, 1]]]);
  });
});
