/**
 * The QMP client against a scripted fake server (message orders QEMU can produce on demand only
 * rarely: events before replies, errors, garbage, a hang-up) and against a real paused QEMU.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { buildQemuArgs } from '../../src/generate/qemu-argv.js';
import { EVENT_HISTORY, MAX_LINE_BYTES, QmpClient, QmpClosedError, QmpCommandError, QmpConnectError, QmpProtocolError, QmpTimeoutError } from '../../src/run/qmp-client.js';
import { realClock } from '../../src/run/real-services.js';
import { runDirPaths } from '../../src/shared/vm-paths.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { closeFakeQmp, fakeQmp, GREETING } from '../helpers/fake-qmp.js';
import { qemuPlan, qemuSpec } from '../helpers/qemu-plans.js';
import { killAllQemu, QEMU_BINARY, requireTool, startQemu, stopQemu } from '../helpers/qemu-process.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-tui-qmp-'));
const servers: net.Server[] = [];
after(async () => {
  for (const server of servers) server.close();
  await closeFakeQmp();
  await killAllQemu();
  fs.rmSync(scratch, { recursive: true, force: true });
});
const clock = realClock;

const event = (name: string, data: unknown = {}) => ({ timestamp: { seconds: 1, microseconds: 2 }, event: name, data });

describe('QmpClient (fake server)', () => {
  it('matches replies by id even when events and other replies come first', async () => {
    const socketPath = await fakeQmp((command, send) => {
      if (command.execute === 'slow') {
        setTimeout(() => send({ return: 'slow-done', id: command.id }), 30);
      } else if (command.execute === 'quit') {
        // QEMU sends SHUTDOWN before the reply to quit.
        send(event('SHUTDOWN', { guest: false, reason: 'host-qmp-quit' }));
        send({ return: {}, id: command.id });
      } else {
        send(event('POWERDOWN'));
        send({ return: { echoed: command.arguments ?? null }, id: command.id });
      }
    });
    const client = await QmpClient.connect(socketPath, { clock });
    assert.deepEqual(client.version, { major: 7, minor: 2, micro: 22 });
    const [slow, fast] = await Promise.all([client.execute('slow'), client.execute('query-x', { a: 1 })]);
    assert.equal(slow, 'slow-done');
    assert.deepEqual(fast, { echoed: { a: 1 } });
    assert.deepEqual(await client.execute('quit'), {});
    assert.deepEqual(client.events.map((e) => e.event), ['POWERDOWN', 'SHUTDOWN']);
    assert.deepEqual(client.events[1]!.data, { guest: false, reason: 'host-qmp-quit' });
    assert.deepEqual(client.events[1]!.timestamp, { seconds: 1, microseconds: 2 });
    client.close();
  });

  it('waits for an event by name, or finds one already received', async () => {
    const socketPath = await fakeQmp((command, send) => {
      send({ return: {}, id: command.id });
      setTimeout(() => send(event('STOP')), 20);
    });
    const client = await QmpClient.connect(socketPath, { clock });
    const waiting = client.waitForEvent('STOP', 2000);
    await client.execute('stop');
    assert.equal((await waiting).event, 'STOP');
    assert.equal((await client.waitForEvent('STOP', 10)).event, 'STOP', 'already in events');
    await assert.rejects(client.waitForEvent('RESUME', 50), QmpTimeoutError);
    client.close();
  });

  it('rejects with QEMU\'s error class and text', async () => {
    const socketPath = await fakeQmp((command, send) => {
      send({ error: { class: 'CommandNotFound', desc: `The command ${command.execute} has not been found` }, id: command.id });
    });
    const client = await QmpClient.connect(socketPath, { clock });
    await assert.rejects(client.execute('query-nothing'), (error: unknown) => {
      assert.ok(error instanceof QmpCommandError);
      assert.equal(error.errorClass, 'CommandNotFound');
      assert.equal(error.message, 'QMP query-nothing failed: The command query-nothing has not been found');
      assert.match(error.hint ?? '', /too old/);
      return true;
    });
    client.close();
  });

  it('times out a command that gets no reply, and a late reply does no harm', async () => {
    const socketPath = await fakeQmp((command, send) => setTimeout(() => send({ return: 1, id: command.id }), 100));
    const client = await QmpClient.connect(socketPath, { clock });
    await assert.rejects(client.execute('hang', undefined, 20), QmpTimeoutError);
    assert.equal(await client.execute('next', undefined, 1000), 1);
    client.close();
  });

  it('fails pending commands when the connection drops, and later ones at once', async () => {
    const socketPath = await fakeQmp((_command, _send, socket) => socket.destroy());
    const client = await QmpClient.connect(socketPath, { clock });
    await assert.rejects(client.execute('quit'), QmpClosedError);
    assert.ok(client.closed);
    await assert.rejects(client.execute('query-status'), QmpClosedError);
  });

  it('refuses a socket that is not QMP, and garbage on it', async () => {
    const notQmp = await fakeQmp(() => undefined, JSON.stringify({ hello: 'world' }));
    await assert.rejects(QmpClient.connect(notQmp, { clock }), QmpProtocolError);
    const garbage = await fakeQmp((_command, send) => send('this is not json'));
    const client = await QmpClient.connect(garbage, { clock });
    await assert.rejects(client.execute('x'), (error: unknown) => error instanceof QmpProtocolError && /not JSON/.test(error.message));
  });

  it('retries until the socket appears, then gives up at the deadline with a hint', async () => {
    const later = path.join(scratch, 'later.sock');
    const connecting = QmpClient.connect(later, { clock, timeoutMs: 3000, retryMs: 10 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const server = net.createServer((socket) => {
      socket.write(GREETING + '\n');
      socket.on('data', (chunk) => socket.write(JSON.stringify({ return: {}, id: JSON.parse(chunk.toString()).id }) + '\n'));
    });
    servers.push(server);
    server.listen(later);
    const client = await connecting;
    client.close();

    const started = Date.now();
    await assert.rejects(QmpClient.connect(path.join(scratch, 'never.sock'), { clock, timeoutMs: 150, retryMs: 10 }), (error: unknown) => {
      assert.ok(error instanceof QmpConnectError);
      assert.match(error.message, /never\.sock/);
      assert.match(error.hint ?? '', /is the VM running/);
      return true;
    });
    const waited = Date.now() - started;
    assert.ok(waited >= 140 && waited < 2000, `waited ${waited} ms`);
  });
});

describe('QmpClient in a long-running process', () => {
  it(`keeps only the newest ${EVENT_HISTORY} events, and waitForEvent counts past the dropped ones`, async () => {
    const total = EVENT_HISTORY * 3;
    const socketPath = await fakeQmp((command, send) => {
      for (let i = 0; i < total; i++) send(event('BLOCK_IO_ERROR', { i }));
      send(event('STOP'));
      send({ return: {}, id: command.id });
    });
    const client = await QmpClient.connect(socketPath, { clock });
    await client.execute('stop');
    assert.equal(client.events.length, EVENT_HISTORY);
    assert.equal(client.eventCount, total + 1);
    assert.equal(client.events[0]!.data.i, total + 1 - EVENT_HISTORY);
    assert.equal(client.events.at(-1)!.event, 'STOP');
    assert.equal((await client.waitForEvent('STOP', 10, total)).event, 'STOP');
    await assert.rejects(client.waitForEvent('STOP', 10, total + 1), QmpTimeoutError, 'nothing at or after the count');
    client.close();
  });

  it('ends a connection that sends an endless line instead of buffering it', async () => {
    const socketPath = await fakeQmp((_command, _send, socket) => {
      const chunk = 'x'.repeat(1024 * 1024);
      for (let i = 0; i <= MAX_LINE_BYTES / chunk.length; i++) socket.write(chunk);
    });
    const client = await QmpClient.connect(socketPath, { clock });
    await assert.rejects(client.execute('x'), (error: unknown) => error instanceof QmpProtocolError && /a line over/.test(error.message));
  });

  it('times commands out on the injected clock, not the wall clock', async () => {
    const socketPath = await fakeQmp(() => undefined);
    const fake = new FakeClock();
    const client = await QmpClient.connect(socketPath, { clock: fake, commandTimeoutMs: 60_000 });
    const outcome = { error: null } as { error: unknown };
    const reply = client.execute('query-status').catch((error: unknown) => (outcome.error = error));
    await fake.advance(59_999);
    assert.equal(String(outcome.error), 'null', 'not before its time');
    await fake.advance(1);
    await reply;
    assert.ok(outcome.error instanceof QmpTimeoutError, String(outcome.error));
    assert.equal(fake.pending, 0, 'no timer left behind');
    client.close();
  });
});

describe('QmpClient (real QEMU, paused)', () => {
  it('negotiates, queries and sees SHUTDOWN arrive around the reply to quit', async () => {
    requireTool(QEMU_BINARY, 'qemu-system-x86');
    const runDir = fs.mkdtempSync(path.join(scratch, 'run-'));
    const spec = qemuSpec({ name: 'qmp-test', accel: 'tcg', machine: 'pc', cpu: { model: 'qemu64' }, vcpus: { count: 2, sockets: 1, dies: 1, cores: 2, threads: 1 }, memory: { sizeMiB: 64 }, network: { mode: 'none' } });
    const vm = await startQemu(buildQemuArgs(qemuPlan(spec), { runDir }), runDirPaths(runDir).qmpSocket);
    try {
      assert.equal(vm.qmp.version?.major, 7);
      assert.deepEqual(await vm.qmp.execute('query-name'), { name: 'qmp-test' });
      assert.deepEqual(await vm.qmp.execute('query-status'), { status: 'prelaunch', singlestep: false, running: false });
      await assert.rejects(vm.qmp.execute('no-such-command'), (error: unknown) => error instanceof QmpCommandError && error.errorClass === 'CommandNotFound');
      const cpus = await vm.qmp.execute<Array<{ 'cpu-index': number }>>('query-cpus-fast');
      assert.deepEqual(cpus.map((cpu) => cpu['cpu-index']), [0, 1]);
      await vm.qmp.execute('quit');
      assert.equal((await vm.qmp.waitForEvent('SHUTDOWN', 2000)).data.reason, 'host-qmp-quit');
      assert.equal(await vm.exited, 0);
    } finally {
      await stopQemu(vm);
    }
  });
});
