/**
 * Which iothread serves which disk: the one rule the planner, the QEMU argv and the libvirt XML
 * share. The k-th disk that asks for an iothread gets iothread k, wrapping round when there are
 * fewer iothreads than such disks.
 */

/** Per disk, the index of the iothread serving it, or null (no iothread asked, or none exist). */
export function roundRobinDiskIothreads(disks: readonly { iothread: boolean }[], iothreadCount: number): Array<number | null> {
  let next = 0;
  return disks.map((disk) => {
    if (!disk.iothread || iothreadCount <= 0) return null;
    const index = next % iothreadCount;
    next += 1;
    return index;
  });
}
