/**
 * The built bundle (dist/kvm-tui.js) the end-to-end tests run. scripts/run-tests.mjs builds it
 * once before any test starts and says so in KVM_TUI_TEST_BUNDLE_BUILT, so files running at the
 * same time never rebuild it under each other; a file run on its own builds it here, so it never
 * tests a bundle older than the source.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export const BUNDLE = path.join(REPO, 'dist', 'kvm-tui.js');

let built = process.env.KVM_TUI_TEST_BUNDLE_BUILT === '1';

export function ensureBundle(): string {
  if (!built) {
    execFileSync(process.execPath, [path.join(REPO, 'scripts/build.mjs')], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    built = true;
  }
  return BUNDLE;
}
