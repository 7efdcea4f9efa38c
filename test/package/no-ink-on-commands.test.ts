// Non-interactive commands must start as fast as Node allows: their import graphs must not
// reach Ink or React (the wizard loads those lazily). esbuild's metafile gives the real graph.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { build } from 'esbuild';

const commandFiles = readdirSync('src/commands').filter((name) => name.endsWith('.ts'));

test('every non-interactive command module is free of ink/react', async () => {
  assert.ok(commandFiles.length >= 6, `expected the command modules, found ${commandFiles.join(', ')}`);
  for (const file of commandFiles) {
    const result = await build({
      entryPoints: [`src/commands/${file}`],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    const ui = inputs.filter((input) => /node_modules\/(ink|react|react-reconciler|ink-[a-z-]+)\//.test(input) || input.startsWith('components/'));
    assert.deepEqual(ui, [], `${file} pulls in UI modules`);
  }
});

test('the CLI entry reaches the wizard only through a dynamic import', async () => {
  const result = await build({
    entryPoints: ['src/cli.tsx'],
    bundle: true,
    external: ['react-devtools-core'],
    platform: 'node',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const cli = Object.entries(result.metafile.inputs).find(([name]) => name === 'src/cli.tsx')![1];
  const wizardImports = cli.imports.filter((entry) => entry.path.includes('components/'));
  assert.ok(wizardImports.length > 0, 'cli.tsx should import the wizard');
  for (const entry of wizardImports) assert.equal(entry.kind, 'dynamic-import', `${entry.path} is imported statically`);
  for (const entry of cli.imports.filter((item) => item.path.includes('src/commands/'))) {
    assert.equal(entry.kind, 'dynamic-import', `${entry.path} is imported statically`);
  }
});
