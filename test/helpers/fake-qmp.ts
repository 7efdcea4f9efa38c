/**
 * A fake QMP server on a unix socket: greets like QEMU, answers qmp_capabilities, then hands each
 * command to the test's handler, which answers (or not) in any order QEMU could: events before
 * replies, errors, garbage, a hang-up. Servers close when the test file ends (closeFakeQmp).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

let scratch: string | null = null;
let serial = 0;
const servers: net.Server[] = [];

/** A fresh socket path in this helper's scratch dir (for "nothing listens here" cases). */
export function fakeSocketPath(label: string): string {
  scratch ??= fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-tui-fake-qmp-'));
  return path.join(scratch, `${label}-${++serial}.sock`);
}

export async function closeFakeQmp(): Promise<void> {
  for (const server of servers.splice(0)) server.close();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  scratch = null;
}

export const GREETING = JSON.stringify({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 22 }, package: '' }, capabilities: ['oob'] } });

export type Handler = (command: { execute: string; arguments?: unknown; id?: string }, send: (message: unknown) => void, socket: net.Socket) => void;

/** A fake QMP server on a fresh socket path; `handle` answers each command (after capabilities). */
export function fakeQmp(handle: Handler, greeting = GREETING): Promise<string> {
  const socketPath = fakeSocketPath('fake');
  const server = net.createServer((socket) => {
    const send = (message: unknown) => socket.write((typeof message === 'string' ? message : JSON.stringify(message)) + '\r\n');
    socket.write(greeting + '\r\n');
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let newline;
      while ((newline = buffer.indexOf('\n')) !== -1) {
        const command = JSON.parse(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
        if (command.execute === 'qmp_capabilities') send({ return: {}, id: command.id });
        else handle(command, send, socket);
      }
    });
    socket.on('error', () => undefined);
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(socketPath, () => resolve(socketPath)));
}

