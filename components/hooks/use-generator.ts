/**
 * The generators (src/generate/index.ts: the QEMU argv, the libvirt XML and its XML library, the
 * pin script), loaded once the wizard has drawn its first frame: the audit does not wait for a
 * module only the Preview needs, and it is in memory long before anyone opens the Preview. Until
 * then the Preview says it is preparing; a module that cannot be loaded is said as the reason
 * nothing can be previewed.
 */
import { useEffect, useState } from 'react';

export type GenerateAll = typeof import('../../src/generate/index.js')['generateAll'];
export type GeneratorState = { generateAll: GenerateAll } | { error: string } | null;

let loaded: GeneratorState = null;

export function useGenerator(): GeneratorState {
  const [state, setState] = useState<GeneratorState>(loaded);
  useEffect(() => {
    if (state) return;
    let current = true;
    import('../../src/generate/index.js').then(
      (module) => {
        loaded = { generateAll: module.generateAll };
        if (current) setState(loaded);
      },
      (error: unknown) => {
        if (current) setState({ error: `the generators did not load: ${(error as Error).message}` });
      },
    );
    return () => {
      current = false;
    };
  }, [state]);
  return state;
}
