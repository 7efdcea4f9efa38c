/**
 * A VM control for the live pane's tests (src/app/monitor-services.ts MonitorControl): running,
 * no events, every action a no-op; a test passes the parts it watches.
 */
import type { MonitorControl } from '../../src/app/monitor-services.js';
import { RingBuffer } from '../../src/shared/ring-buffer.js';

export function idleMonitorControl(overrides: Partial<MonitorControl> = {}): MonitorControl {
  return {
    state: 'running',
    events: new RingBuffer(10),
    connect: async () => null,
    onChange: () => () => undefined,
    pause: async () => undefined,
    resume: async () => undefined,
    powerdown: async () => undefined,
    forceQuit: async () => undefined,
    repin: async () => '',
    blockstats: async () => [],
    close: () => undefined,
    ...overrides,
  };
}
