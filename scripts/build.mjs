// Bundles the CLI with zero runtime dependencies: dist/kvm-tui.js (the executable) and the modules
// it loads on first use in dist/lib/.
//
// Start-up matters (`--version`, `audit --json`, `plan --json` should cost little more than Node
// itself), and V8 compiles every line of every module a process loads, even code that never runs.
// So the entry holds only the dispatcher (argument parsing, help, the command table); each command
// in src/commands/table.ts is a dynamic import, and esbuild's code splitting makes each one a file
// of its own with the code several commands share in shared chunks (one copy on disk, loaded once
// per process). `--version` compiles ~10 KB, `audit` adds the audit code, `plan` the spec checks and the
// planner, the wizard Ink, React and yoga: nothing a command does not import.
//
// The chunks are real files imported by file: URL, relative to the entry (import.meta.url is the
// real path of dist/kvm-tui.js, also when npm's bin link points at it), so Node reads and compiles
// them directly. (Earlier builds embedded each bundle as gzipped base64 imported from a data: URL:
// every start then scanned MBs of string, and the first use paid gunzip, base64 and `new URL` of a
// multi-MB URL, ~40 ms of the wizard's first frame.) Node 20 has no compile cache for ES modules
// (module.enableCompileCache is 22.1+; vm.SourceTextModule's cachedData needs
// --experimental-vm-modules), so what is not loaded is what is saved.
//
// Chunk names carry a hash of their content, so a rebuild of the same sources rewrites the same
// files with the same bytes (the tests rebuild while other test files run the bundle). Chunks no
// output names any more are removed at the end (only a process of the older build that has yet to
// load one could miss it).
import { build } from 'esbuild';
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const dist = join(root, 'dist');
/** Where the chunks go, relative to dist/ (package.json "files" lists it; test/package checks both). */
const CHUNK_DIR = 'lib';

/**
 * yoga-layout (Ink's layout engine) embeds its WebAssembly as a base64 data: URL, and its
 * Emscripten loader reads that URL with fetch() whenever fetch exists, as it does in Node 18+.
 * The first fetch() loads Node's undici and percent-decodes the 90 KB URL: ~15-20 ms of every
 * wizard and monitor start, before the first frame. The loader's own fallback (decoding the base64
 * in place) is taken instead. If a yoga update changes that code the build says so and ships it
 * unpatched (slower, still correct).
 */
const YOGA_FETCH = '"function"!=typeof fetch?Promise.resolve().then(function(){return wa()})';
const yogaWithoutFetch = {
  name: 'yoga-without-fetch',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes(YOGA_FETCH)) {
        console.warn(`build: ${relative(root, args.path)} no longer has the fetch() this build bypasses; shipped as it is`);
        return { contents: source, loader: 'js' };
      }
      return { contents: source.replace(YOGA_FETCH, '!0?Promise.resolve().then(function(){return wa()})'), loader: 'js' };
    });
  },
};

const result = await build({
  entryPoints: { 'kvm-tui': join(root, 'src', 'bin.ts') },
  outdir: dist,
  bundle: true,
  splitting: true,
  chunkNames: `${CHUNK_DIR}/[name]-[hash]`,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  jsx: 'automatic',
  logLevel: 'error',
  write: false,
  plugins: [yogaWithoutFetch],
  define: { 'process.env.NODE_ENV': '"production"', KVM_TUI_VERSION: JSON.stringify(pkg.version) },
  // Ink imports react-devtools-core only when DEV is set; never ship it.
  alias: { 'react-devtools-core': join(root, 'scripts', 'empty-module.mjs') },
  // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
  banner: { js: "import { createRequire as __kvmCreateRequire } from 'node:module'; const require = __kvmCreateRequire(import.meta.url);" },
});

const entry = join(dist, 'kvm-tui.js');
const written = new Set();
mkdirSync(join(dist, CHUNK_DIR), { recursive: true });
// Chunks first, the entry last: the entry never names a chunk that is not there yet. Each file is
// written whole and renamed, so an interrupted build never leaves half a file behind.
const outputs = [...result.outputFiles].sort((a, b) => (a.path === entry) - (b.path === entry));
for (const file of outputs) {
  const isEntry = file.path === entry;
  const temporary = `${file.path}.tmp-${process.pid}`;
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(temporary, isEntry ? `#!/usr/bin/env node\n${file.text}` : file.text);
  chmodSync(temporary, isEntry ? 0o755 : 0o644);
  renameSync(temporary, file.path);
  written.add(relative(dist, file.path));
}
if (!written.has('kvm-tui.js')) throw new Error('build: esbuild wrote no dist/kvm-tui.js');
// What an older build left behind (chunks of other content, the temporaries of a killed build).
for (const name of readdirSync(join(dist, CHUNK_DIR))) {
  if (!written.has(join(CHUNK_DIR, name))) rmSync(join(dist, CHUNK_DIR, name), { force: true });
}
