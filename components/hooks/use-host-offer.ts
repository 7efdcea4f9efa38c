/**
 * What the host offers the VM step (interfaces and bridges, a disk image's free space, memory),
 * asked through the wizard's HostOffer service: once the step is first shown (the first frame
 * does not wait for systeminformation), again on `refresh` (after a fix changed the host), and
 * for each disk path typed (answers kept per path). The screens get plain values.
 */
import { useCallback, useEffect, useState } from 'react';
import type { DiskSpaceAnswer, HostInterfaces, HostMemoryAnswer, HostOffer } from '../../src/app/host-offer.js';

export interface HostOfferState {
  /** Null until answered. */
  interfaces: HostInterfaces | null;
  memory: HostMemoryAnswer | null;
  /** The answer for `diskFile`, null while asked (or with no disk). */
  disk: DiskSpaceAnswer | null;
  refresh: () => void;
}

export function useHostOffer(offer: HostOffer, options: { enabled: boolean; diskFile: string | null }): HostOfferState {
  const { enabled, diskFile } = options;
  // Once enabled, stays so: leaving the step does not forget what the host said.
  const [started, setStarted] = useState(enabled);
  if (enabled && !started) setStarted(true);
  const [generation, setGeneration] = useState(0);
  const [interfaces, setInterfaces] = useState<HostInterfaces | null>(null);
  const [memory, setMemory] = useState<HostMemoryAnswer | null>(null);
  const [disks, setDisks] = useState<ReadonlyMap<string, DiskSpaceAnswer>>(new Map());
  useEffect(() => {
    if (!started) return;
    let live = true;
    void offer.interfaces().then((answer) => live && setInterfaces(answer));
    void offer.memory().then((answer) => live && setMemory(answer));
    return () => {
      live = false;
    };
  }, [offer, started, generation]);
  const diskKnown = diskFile !== null && disks.has(diskFile);
  useEffect(() => {
    if (!started || diskFile === null || diskKnown) return;
    let live = true;
    void offer.diskSpace(diskFile).then((answer) => live && setDisks((map) => new Map(map).set(diskFile, answer)));
    return () => {
      live = false;
    };
  }, [offer, started, diskFile, diskKnown, generation]);
  const refresh = useCallback(() => {
    setDisks(new Map());
    setGeneration((value) => value + 1);
  }, []);
  return { interfaces, memory, disk: diskFile === null ? null : (disks.get(diskFile) ?? null), refresh };
}
