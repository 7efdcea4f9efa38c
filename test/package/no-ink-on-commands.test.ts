// Non-interactive commands must start as fast as Node allows: their import graphs must not
// reach Ink or React (the wizard loads those lazily). esbuild's metafile gives the real graph.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { build } from 'esbuild';

// The table names every command and imports each one lazily; it is checked on its own below.
const commandFiles = readdirSync('src/commands').filter((name) => name.endsWith('.ts') && name !== 'table.ts');

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

test('the CLI entry reaches the wizard and every command only through the table\'s dynamic imports', async () => {
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
  const inputs = result.metafile.inputs;
  const cli = inputs['src/cli.tsx']!;
  assert.ok(cli.imports.some((entry) => entry.path === 'src/commands/table.ts'), 'cli.tsx dispatches through the command table');
  assert.deepEqual(cli.imports.filter((entry) => entry.path.includes('components/')), [], 'cli.tsx imports no screen itself');
  const table = inputs['src/commands/table.ts']!;
  const lazy = table.imports.filter((entry) => entry.path.includes('components/') || entry.path.startsWith('src/commands/'));
  assert.ok(lazy.some((entry) => entry.path.includes('components/')), 'the table should import the wizard');
  assert.ok(lazy.filter((entry) => entry.path.startsWith('src/commands/')).length >= 6, 'the table should import every command');
  for (const entry of lazy) assert.equal(entry.kind, 'dynamic-import', `${entry.path} is imported statically`);
  // Every light command's graph (what the start-up file holds) is free of UI modules: checked above per module.
});

test('the wizard\'s first frame does not wait for the generators\' XML library or systeminformation', async () => {
  const result = await build({
    entryPoints: ['components/run-wizard.tsx'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    metafile: true,
    packages: 'external',
    logLevel: 'silent',
  });
  const inputs = result.metafile.inputs;
  // The static graph from the wizard's entry: what is loaded before its first frame.
  const reached = new Set(['components/run-wizard.tsx']);
  const queue = ['components/run-wizard.tsx'];
  const external = new Set<string>();
  let dynamicToGenerators = false;
  while (queue.length > 0) {
    for (const entry of inputs[queue.shift()!]?.imports ?? []) {
      if (entry.kind === 'dynamic-import') {
        if (entry.path === 'src/generate/index.ts') dynamicToGenerators = true;
        continue;
      }
      if (entry.external) external.add(entry.path);
      else if (!reached.has(entry.path)) {
        reached.add(entry.path);
        queue.push(entry.path);
      }
    }
  }
  assert.ok(reached.has('components/Wizard.tsx') && reached.has('src/plan/plan-vm.ts'), 'the graph walk reaches the wizard and the planner');
  assert.ok(dynamicToGenerators, 'the wizard loads the generators with a dynamic import');
  assert.deepEqual([...external].filter((name) => /^(xmlbuilder2|systeminformation)(\/|$)/.test(name)), []);
  assert.deepEqual([...reached].filter((file) => /^src\/generate\/(index|libvirt-xml|domain-xml-checks)\.ts$/.test(file)), []);
});
