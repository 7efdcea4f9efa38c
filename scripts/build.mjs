// Bundles the CLI into one self-contained ESM file (dist/kvm-tui.js) with zero runtime dependencies.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, chmodSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
mkdirSync(join(root, 'dist'), { recursive: true });
const outfile = join(root, 'dist', 'kvm-tui.js');
await build({
  entryPoints: [join(root, 'src', 'bin.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  jsx: 'automatic',
  // Ink and React are loaded lazily (only the interactive screens need them); splitting is not
  // used so the package stays one file, but the dynamic import keeps them off the start-up path.
  define: { 'process.env.NODE_ENV': '"production"', KVM_TUI_VERSION: JSON.stringify(pkg.version) },
  // Ink imports react-devtools-core only when DEV is set; never ship it.
  alias: { 'react-devtools-core': join(root, 'scripts', 'empty-module.mjs') },
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __kvmCreateRequire } from 'node:module'; const require = __kvmCreateRequire(import.meta.url);",
  },
});
chmodSync(outfile, 0o755);
