/** Shared by the wizard's component tests: a fake HostOffer, keys sent until they show, frame checks. */
import assert from 'node:assert/strict';
import type { DiskSpaceAnswer, HostInterface, HostOffer } from '../../src/app/host-offer.js';

const GiB = 2 ** 30;

/** A host with a bridge (br0 over eno1, no tap on it yet) and a lone tap; disks land on /srv (xfs, 321 GiB free, on an NVMe SSD). */
export function fakeHostOffer(options: { disk?: (file: string) => DiskSpaceAnswer } = {}): HostOffer & { asked: string[] } {
  const asked: string[] = [];
  const iface = (name: string, kind: HostInterface['kind'], extra: Partial<HostInterface> = {}): HostInterface => ({ name, kind, bridge: null, up: true, ip4: null, isDefault: false, ...extra });
  return {
    asked,
    interfaces: async () => {
      asked.push('interfaces');
      return { interfaces: [iface('lo', 'loopback'), iface('eno1', 'other', { bridge: 'br0' }), iface('br0', 'bridge', { ip4: '192.0.2.10', isDefault: true }), iface('tap7', 'tap')], note: null };
    },
    diskSpace: async (file) => {
      asked.push(`disk ${file}`);
      return options.disk?.(file) ?? { file, resolved: `/srv/vm/${file.replace(/^\.\//, '')}`, exists: false, sizeBytes: null, mount: '/srv', fsType: 'xfs', availableBytes: 321 * GiB, totalBytes: 500 * GiB, device: { name: 'nvme0n1', physical: 'SSD', model: 'Samsung SSD 980 PRO 1TB' } };
    },
    memory: async () => {
      asked.push('memory');
      return { totalMiB: 65536, availableMiB: 40960 };
    },
  };
}

/**
 * Lets the app finish what its last frame started before a key goes in. Ink subscribes a
 * screen's key handler in a passive effect, which React runs in a setImmediate after the commit
 * that drew the frame; a waitFor that sees the frame in the timers phase before that immediate,
 * and a key written then, reach the previous handler (a screen no longer shown, a stale closure)
 * and the key is lost. A few turns of the event loop (immediates, then timers) run those effects
 * and the renders they cause; nothing here waits on the wall clock.
 */
export async function settle(turns = 3): Promise<void> {
  for (let turn = 0; turn < turns; turn++) {
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/**
 * Sends a key until the screen shows its effect, each time once the app has settled. A key Ink
 * still drops (the app was busy past the settling turns) is sent again after a second. Only for
 * keys whose repetition is harmless once the effect shows.
 */
export async function pressUntil(stdin: { write: (data: string) => void }, key: string, predicate: () => boolean, what: string, frame?: () => string): Promise<void> {
  for (let attempt = 0; attempt < 5 && !predicate(); attempt++) {
    await settle();
    if (predicate()) break;
    stdin.write(key);
    const started = Date.now();
    while (!predicate() && Date.now() - started < 1000) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  if (!predicate()) throw new Error(`timed out waiting for ${what}${frame ? `; the screen:\n${frame()}` : ''}`);
}

/**
 * Sends a key once (for keys that must not repeat), after the app settled (see `settle`), and
 * lets its effect settle too, so that what the test asserts next is the frame after the key.
 */
export async function pressOnce(stdin: { write: (data: string) => void }, key: string): Promise<void> {
  await settle();
  stdin.write(key);
  await settle();
}

/** No line wider than `columns`, no more lines than `rows` (nothing wraps, nothing scrolls off). */
export function assertFits(frame: string, columns: number, rows: number, what: string): void {
  const lines = frame.split('\n');
  assert.ok(lines.length <= rows, `${what}: ${lines.length} lines for ${rows} rows:\n${frame}`);
  for (const line of lines) assert.ok([...line].length <= columns, `${what}: a line of ${[...line].length} > ${columns} columns: ${line}`);
}
