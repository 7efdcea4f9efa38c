// The executable: the real services go into cli.tsx's main(), which tests call with fakes.
import { main } from './cli.js';
import { realServices } from './run/real-services.js';

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
