// Bundles the CLI into one self-contained ESM file (dist/kvm-tui.js) with zero runtime dependencies.
//
// Start-up matters (`topology --json`, `audit --json` should cost little more than Node itself),
// and V8 must parse every line of JavaScript in the file it loads, even code that never runs:
// with Ink, React, zod and xmlbuilder2 inlined (1.5 MB), `topology --json` took ~270 ms against
// ~110 ms for `node -e 0` here. So the file has two parts:
//   - the light commands (topology, dump-host, audit) and the dispatcher, as ordinary code;
//   - everything else as two more ESM bundles (plan/presets/generate; the Ink wizard), each
//     embedded as a gzipped base64 string and imported from a data: URL on first use. A few
//     hundred KB of string literal cost far less to load than the MBs of code they stand for.
// An embedded bundle carries its own copies of shared modules, so errors crossing the boundary
// are recognised by their brand (src/errors.ts), never by instanceof.
import { build, transform } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/**
 * The command table (src/commands/table.ts) says which command goes where: `bundle: null` is
 * light start-up code, any other name an embedded bundle of its own (a shared bundle would make
 * `plan` pay for generate's XML library and the wizard's Ink, React and yoga WASM, compiled at
 * import; the duplicated shared code costs only compressed bytes). The table is compiled on its
 * own here; its `load` functions are never called, so nothing else is imported.
 */
const tableSource = (await transform(readFileSync(join(root, 'src/commands/table.ts'), 'utf8'), { loader: 'ts', format: 'esm' })).code;
const { COMMAND_TABLE } = await import(`data:text/javascript;base64,${Buffer.from(tableSource).toString('base64')}`);
const EMBEDDED = [];
for (const command of COMMAND_TABLE) {
  if (command.bundle === null) continue;
  let group = EMBEDDED.find((entry) => entry.bundle === command.bundle);
  if (!group) EMBEDDED.push((group = { bundle: command.bundle, entries: [] }));
  group.entries.push({ file: command.file, exports: command.exportName });
}

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  jsx: 'automatic',
  logLevel: 'error',
  define: { 'process.env.NODE_ENV': '"production"', KVM_TUI_VERSION: JSON.stringify(pkg.version) },
  // Ink imports react-devtools-core only when DEV is set; never ship it.
  alias: { 'react-devtools-core': join(root, 'scripts', 'empty-module.mjs') },
};

// 1. The embedded bundles. A data: URL module has no file URL, so its `require` (CommonJS
//    dependencies asking for Node built-ins) is anchored at the node binary's path instead.
//    Compressed: the string's size is what every start pays for (reading and scanning it).
const embedded = new Map();
for (const group of EMBEDDED) {
  const result = await build({
    ...common,
    stdin: {
      contents: group.entries.map((entry) => `export { ${entry.exports} } from ${JSON.stringify(join(root, entry.file))};`).join('\n'),
      resolveDir: root,
      loader: 'ts',
    },
    write: false,
    banner: { js: "import { createRequire as __kvmCreateRequire } from 'node:module'; const require = __kvmCreateRequire(process.execPath);" },
  });
  embedded.set(group.bundle, gzipSync(Buffer.from(result.outputFiles[0].text), { level: 9 }).toString('base64'));
}

// 2. The CLI: each embedded module's import in the table becomes a stub that loads its bundle once.
const entryFor = (specifier) =>
  EMBEDDED.flatMap((group) => group.entries.map((entry) => ({ ...entry, bundle: group.bundle }))).find((entry) =>
    specifier.endsWith(entry.file.replace(/^(src|components)\//, '').replace(/\.tsx?$/, '.js')),
  );
const embedPlugin = {
  name: 'embed-bundles',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /\.js$/ }, (args) => {
      if (!args.importer.endsWith(join('src', 'commands', 'table.ts'))) return undefined;
      const entry = entryFor(args.path);
      return entry ? { path: `${entry.bundle}/${entry.file}`, namespace: 'kvm-tui-stub' } : undefined;
    });
    pluginBuild.onResolve({ filter: /^embedded:/ }, (args) => ({ path: args.path.slice('embedded:'.length), namespace: 'kvm-tui-bundle' }));
    pluginBuild.onLoad({ filter: /.*/, namespace: 'kvm-tui-stub' }, (args) => {
      // One stub per module: every export the table names from that file (launch and monitor
      // share components/run-monitor.tsx).
      const [bundle, ...fileParts] = args.path.split('/');
      const file = fileParts.join('/');
      const names = EMBEDDED.find((group) => group.bundle === bundle).entries.filter((entry) => entry.file === file).map((entry) => entry.exports);
      return {
        loader: 'js',
        contents:
          `import { load } from 'embedded:${bundle}';\n` +
          names.map((name) => `export async function ${name}(ctx) {\n  return (await load()).${name}(ctx);\n}\n`).join(''),
      };
    });
    pluginBuild.onLoad({ filter: /.*/, namespace: 'kvm-tui-bundle' }, (args) => ({
      loader: 'js',
      contents:
        `import { gunzipSync } from 'node:zlib';\n` +
        `const source = ${JSON.stringify(embedded.get(args.path))};\n` +
        `let loaded;\n` +
        `export function load() {\n` +
        `  loaded ??= import('data:text/javascript;base64,' + gunzipSync(Buffer.from(source, 'base64')).toString('base64'));\n` +
        `  return loaded;\n}\n`,
    }));
  },
};
mkdirSync(join(root, 'dist'), { recursive: true });
const outfile = join(root, 'dist', 'kvm-tui.js');
const cli = await build({
  ...common,
  entryPoints: [join(root, 'src', 'bin.ts')],
  write: false,
  plugins: [embedPlugin],
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __kvmCreateRequire } from 'node:module'; const require = __kvmCreateRequire(import.meta.url);",
  },
});
// Written whole and renamed: an interrupted build never leaves a half file behind.
const temporary = `${outfile}.tmp-${process.pid}`;
writeFileSync(temporary, cli.outputFiles[0].text);
chmodSync(temporary, 0o755);
renameSync(temporary, outfile);
