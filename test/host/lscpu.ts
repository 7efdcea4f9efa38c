/**
 * Parses `lscpu -p=CPU,CORE,SOCKET,NODE,CACHE` (util-linux) for the this-host test. lscpu numbers
 * sockets, cores and caches logically (its own ids); NODE is the kernel's node id.
 */
export interface LscpuRow {
  cpu: number;
  core: string;
  socket: string;
  /** null when lscpu printed no node (kernel without NUMA). */
  node: number | null;
  /** lscpu's logical L3 id; null when the host shows no L3 for this CPU. */
  l3: string | null;
}

/**
 * The last '#' line names the printed columns. lscpu prints the caches in one of two shapes: one
 * column whose header is the cache names joined by ':' ("L1d:L1i:L2:L3", each row's field one id
 * per name), or, as util-linux 2.38.1 does on some hosts, an empty column and then one column per
 * cache ("Node,,L1d,L1i,L2,L3"). lscpu drops the caches altogether on hosts without cache info.
 */
export function parseLscpu(text: string): LscpuRow[] {
  const lines = text.split('\n');
  const header = lines.filter((line) => line.startsWith('#')).at(-1);
  if (!header) throw new Error('lscpu -p printed no header line');
  const columns = header.replace(/^#\s*/, '').split(',').map((name) => name.trim().toLowerCase());
  const at = (name: string) => columns.indexOf(name);
  const [cpuColumn, coreColumn, socketColumn, nodeColumn] = [at('cpu'), at('core'), at('socket'), at('node')];
  if ([cpuColumn, coreColumn, socketColumn, nodeColumn].some((index) => index < 0)) {
    throw new Error(`unexpected lscpu header: ${header}`);
  }
  const ownL3Column = columns.indexOf('l3');
  const cacheColumn = ownL3Column >= 0 ? ownL3Column : columns.findIndex((name) => /^l\d/.test(name) || name === 'cache');
  const l3Position = ownL3Column >= 0 ? 0 : cacheColumn < 0 ? -1 : columns[cacheColumn]!.split(':').indexOf('l3');
  return lines
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const fields = line.split(',');
      const cacheIds = cacheColumn < 0 ? [] : (fields[cacheColumn] ?? '').split(':');
      const l3 = l3Position < 0 ? null : cacheIds[l3Position] || null;
      return {
        cpu: Number(fields[cpuColumn]),
        core: fields[coreColumn]!,
        socket: fields[socketColumn]!,
        node: fields[nodeColumn] === undefined || fields[nodeColumn] === '' ? null : Number(fields[nodeColumn]),
        l3,
      };
    });
}
