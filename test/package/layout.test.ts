/**
 * The layout's rules, checked on the real tree: no import cycle anywhere in src/ or components/
 * (madge over the TypeScript graph, which must see the graph for the check to mean anything),
 * screens that do no I/O (no file under components/ imports node:fs, node:child_process, execa,
 * a process runner or a host reader), and planner modules of readable size.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import madge from 'madge';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

async function graphOf(dirs: string[], baseDir = REPO) {
  return madge(dirs.map((dir) => path.join(baseDir, dir)), {
    baseDir,
    fileExtensions: ['ts', 'tsx'],
    tsConfig: path.join(REPO, 'tsconfig.json'),
    detectiveOptions: { ts: { skipTypeImports: true }, tsx: { skipTypeImports: true } },
  });
}

test('no import cycle in src/ or components/', async () => {
  const graph = await graphOf(['src', 'components']);
  const deps = graph.obj();
  // Not vacuous: the graph resolves the `.js` specifiers to the .ts files behind them.
  assert.ok(Object.keys(deps).length > 80, `madge saw only ${Object.keys(deps).length} modules`);
  assert.ok(deps['src/cli.tsx']?.includes('src/commands/table.ts'), 'madge did not resolve cli.tsx -> commands/table.ts');
  assert.ok(deps['components/Wizard.tsx']?.includes('src/state/app-state.ts'), 'madge did not resolve Wizard.tsx -> state/app-state.ts');
  assert.deepEqual(graph.circular(), []);
});

test('the cycle check finds a cycle when there is one', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kvm-tui-cycle-'));
  try {
    fs.mkdirSync(path.join(dir, 'src'));
    fs.writeFileSync(path.join(dir, 'src/a.ts'), "import { b } from './b.js';\nexport const a = () => b;\n");
    fs.writeFileSync(path.join(dir, 'src/b.ts'), "import { a } from './a.js';\nexport const b = () => a;\n");
    const graph = await graphOf(['src'], dir);
    assert.deepEqual(graph.circular(), [['src/a.ts', 'src/b.ts']]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Value imports (not `import type`) of a file: [specifier, imported names]. */
function valueImports(source: string): Array<{ from: string; names: string }> {
  const out: Array<{ from: string; names: string }> = [];
  for (const match of source.matchAll(/^\s*import\s+(?!type\b)([^'";]*?)\s*(?:from\s*)?['"]([^'"]+)['"]/gm)) {
    out.push({ from: match[2]!, names: match[1]! });
  }
  for (const match of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push({ from: match[1]!, names: '*' });
  return out;
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(path.join(REPO, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(path.join(dir, entry.name)) : /\.tsx?$/.test(entry.name) ? [path.join(dir, entry.name)] : [],
  );
}

test('screens do no I/O: no file under components/ imports fs, child_process, execa, a runner or a host reader', () => {
  const files = filesUnder('components');
  assert.ok(files.length >= 10, `found only ${files.length} component files`);
  const offences: string[] = [];
  for (const file of files) {
    for (const { from, names } of valueImports(fs.readFileSync(path.join(REPO, file), 'utf8'))) {
      const names_ = names.replace(/\btype\s+\w+\s*,?/g, '');
      if (/^(node:)?(fs|fs\/promises|child_process)$/.test(from) || /^execa\b/.test(from)) offences.push(`${file}: ${from}`);
      else if (/\/src\/run\//.test(from)) offences.push(`${file}: ${from} (the process/socket layer)`);
      else if (/\/src\/host\/host-fs\.js$/.test(from)) offences.push(`${file}: ${from}`);
      else if (/\/src\/host\//.test(from) && /\bread[A-Z]\w*/.test(names_)) offences.push(`${file}: ${names_.trim()} from ${from}`);
    }
  }
  assert.deepEqual(offences, []);
});

test('the import scanner sees what it must refuse', () => {
  const source = "import * as fs from 'node:fs';\nimport type { HostFs } from '../src/host/host-fs.js';\nimport { readTopology, type Topology } from '../src/host/topology.js';\n";
  assert.deepEqual(valueImports(source).map((entry) => entry.from), ['node:fs', '../src/host/topology.js']);
});

test('no planner module is over 300 lines', () => {
  const long = filesUnder('src/plan')
    .map((file) => ({ file, lines: fs.readFileSync(path.join(REPO, file), 'utf8').split('\n').length }))
    .filter((entry) => entry.lines > 300);
  assert.deepEqual(long, []);
});

test('the pure layers stay pure: src/shared, src/plan and src/generate import no fs, process or socket code, nor src/run', () => {
  const offences: string[] = [];
  const files = [...filesUnder('src/shared'), ...filesUnder('src/plan'), ...filesUnder('src/generate')];
  assert.ok(files.length >= 30, `found only ${files.length} files`);
  for (const file of files) {
    for (const { from } of valueImports(fs.readFileSync(path.join(REPO, file), 'utf8'))) {
      if (/^(node:)?(fs|fs\/promises|child_process|net)$/.test(from) || /^execa\b/.test(from)) offences.push(`${file}: ${from}`);
      else if (/\/run\//.test(from)) offences.push(`${file}: ${from} (the process/socket layer)`);
      else if (/\/host\/host-fs\.js$/.test(from)) offences.push(`${file}: ${from}`);
    }
  }
  assert.deepEqual(offences, []);
});
