// The executable: the real services go into cli.tsx's main(), which tests call with fakes.
import { main } from './cli.js';
import { realServices } from './run/real-services.js';

// Ink draws only its last frame, at exit, when CI or CONTINUOUS_INTEGRATION is set (it takes the
// output for a build log). On a terminal kvm-tui is interactive whatever the environment says, so
// those two are dropped before Ink loads (it reads them once, when its bundle is first imported);
// users with CI=1 in their shell would otherwise get a blank screen.
if (process.stdout.isTTY) {
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
}

main(process.argv.slice(2), realServices()).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    // main() reports its own errors; this is only reached when reporting itself failed.
    const debug = process.argv.includes('--debug');
    process.stderr.write(`kvm-tui: internal error: ${debug ? ((error as Error)?.stack ?? String(error)) : String((error as Error)?.message ?? error).split('\n')[0]}\n`);
    process.exitCode = 70;
  },
);
