/**
 * The QEMU and libvirt versions the Preview writes for, asked of the services once (a cached
 * `--version` of each binary; nothing for a captured host). Until they answer, the target is
 * unknown, as for a captured host: options that need a version are left out, never guessed.
 */
import { useEffect, useState } from 'react';
import { UNKNOWN_TARGET, type OutputTarget } from '../../src/generate/vm-facts.js';

export function useOutputTarget(ask: () => Promise<OutputTarget>): OutputTarget {
  const [target, setTarget] = useState<OutputTarget>(UNKNOWN_TARGET);
  useEffect(() => {
    let current = true;
    ask().then(
      (answer) => {
        if (current) setTarget(answer);
      },
      () => undefined, // a version that cannot be read is an unknown one
    );
    return () => {
      current = false;
    };
  }, [ask]);
  return target;
}
