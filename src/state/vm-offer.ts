/**
 * The VM step's network choices from the host's interfaces (pure): user-mode, none, and a tap
 * for each bridge. A tap already on a bridge is offered by its name; a bridge without one gets a
 * proposed tap name and the commands that create it (QEMU opens a tap by name with script=no, it
 * does not put it on a bridge). Values are what the spec and `--net` take: user, none, tap:IFNAME.
 */
import type { HostInterface } from '../app/host-offer.js';

export interface NetChoice {
  /** `user`, `none` or `tap:IFNAME`: the --net text. */
  value: string;
  label: string;
  /** What to do on the host before the VM starts (create the tap), or null. */
  setup: string | null;
}

/** A tap name for a VM that fits the kernel's 15 bytes and the spec's interface-name rule. */
export function proposedTapName(vmName: string): string {
  const base = vmName.replace(/[^A-Za-z0-9_-]+/g, '').slice(0, 12);
  return `kt-${base || 'vm'}`;
}

/** The commands that make `tap` a port of `bridge`, usable by the user running QEMU. */
export function tapSetup(tap: string, bridge: string): string {
  return `create it first (as root): ip tuntap add dev ${tap} mode tap user $USER && ip link set ${tap} master ${bridge} up`;
}

export function networkChoices(interfaces: readonly HostInterface[], vmName: string): NetChoice[] {
  const uplink = interfaces.find((entry) => entry.isDefault);
  const choices: NetChoice[] = [
    { value: 'user', label: `user-mode: NAT through the host${uplink ? ` (out via ${uplink.name})` : ''}, no setup, no inbound`, setup: null },
  ];
  const taps = interfaces.filter((entry) => entry.kind === 'tap');
  for (const bridge of interfaces.filter((entry) => entry.kind === 'bridge')) {
    const ports = taps.filter((tap) => tap.bridge === bridge.name);
    for (const tap of ports) choices.push({ value: `tap:${tap.name}`, label: `tap ${tap.name} on bridge ${bridge.name}${bridge.ip4 ? ` (${bridge.ip4})` : ''}`, setup: null });
    if (ports.length === 0) {
      const name = proposedTapName(vmName);
      choices.push({ value: `tap:${name}`, label: `tap ${name} on bridge ${bridge.name} (new tap)`, setup: tapSetup(name, bridge.name) });
    }
  }
  for (const tap of taps.filter((entry) => entry.bridge === null)) {
    choices.push({ value: `tap:${tap.name}`, label: `tap ${tap.name}, on no bridge: the guest reaches the host only`, setup: null });
  }
  choices.push({ value: 'none', label: 'none: no network device', setup: null });
  return choices;
}

/** What the host's interfaces mean for the choices: said when there is no bridge to put a tap on. */
export function networkNote(interfaces: readonly HostInterface[]): string | null {
  if (interfaces.some((entry) => entry.kind === 'bridge')) return null;
  const uplink = interfaces.find((entry) => entry.isDefault) ?? interfaces.find((entry) => entry.kind === 'other');
  return `no bridge on this host: a tap on a bridge needs one (e.g. br0${uplink ? ` over ${uplink.name}` : ''}); user-mode needs none`;
}

/** The --net text of a spec's network (user, none, tap:IFNAME). */
export function netValue(network: { mode: string; ifname: string | null }): string {
  return network.mode === 'tap' ? `tap:${network.ifname ?? ''}` : network.mode;
}
