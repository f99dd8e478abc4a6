// The packed tarball installed into a fresh project as a user does, with
// install scripts ignored (pnpm's default, --ignore-scripts, locked-down CI)
// and no compiler on PATH, then used from CommonJS, ESM and TypeScript.
// Runs under whichever Node runs jest: CI runs it on Node 20, 22, 24 and 26.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import {
  buildTools,
  createProject,
  exportedSubpaths,
  installedManifest,
  mappedAddons,
  node,
  npm,
  reachable,
  repoVersion,
  tarball,
  userEnv,
  type InstalledManifest,
  type Project,
  type Run,
} from './project';

const fixtures = path.join(__dirname, 'fixtures');

let project: Project;
let install: Run;
let manifest: InstalledManifest;
let packageDir: string;

beforeAll(() => {
  project = createProject('consumer');
  // What a TypeScript user has: the package, typescript and @types/node.
  install = npm(
    [
      'install',
      tarball(),
      `typescript@${repoVersion('typescript')}`,
      `@types/node@${repoVersion('@types/node')}`,
      '--ignore-scripts',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
    ],
    project.dir,
    userEnv({ PATH: project.nodeOnlyPath }),
  );
  if (install.status !== 0) throw new Error(`npm install failed:\n${install.stderr}`);
  manifest = installedManifest(project);
  packageDir = path.join(project.dir, 'node_modules', 'tcp-keepalive');
  // fixtures/runners holds other projects' files (runners.test.ts, node-test.test.ts).
  for (const file of fs.readdirSync(fixtures, { withFileTypes: true })) {
    if (file.isFile()) fs.copyFileSync(path.join(fixtures, file.name), path.join(project.dir, file.name));
  }
});

afterAll(() => project?.remove());

/**
 * The subpaths to load here. tcp-keepalive/jest and tcp-keepalive/vitest extend
 * a test runner's expect and load only inside it: runners.test.ts runs them there.
 */
const loadableSubpaths = (): ReturnType<typeof exportedSubpaths> =>
  exportedSubpaths(manifest).filter(({ subpath }) => subpath !== './jest' && subpath !== './vitest');

const inProject = (args: string[]): Run => node(args, project.dir, userEnv({ PATH: project.nodeOnlyPath }));

function json<T>(result: Run): T {
  if (result.status !== 0) throw new Error(`exit ${result.status}:\n${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

test('installs with scripts ignored and no compiler reachable, and brings its prebuild', () => {
  expect(reachable(buildTools, project.nodeOnlyPath)).toEqual([]);
  expect(install.status).toBe(0);
  // Nothing was built: the addon is the prebuild from the tarball.
  expect(fs.existsSync(path.join(packageDir, 'build'))).toBe(false);
  expect(fs.readdirSync(path.join(packageDir, 'prebuilds', `${process.platform}-${process.arch}`)).sort()).toEqual([
    'tcp-keepalive.glibc.node',
    'tcp-keepalive.musl.node',
  ]);
});

describe.each([
  ['CommonJS: require("tcp-keepalive")', 'roundtrip.cjs', { idle: 4000, interval: 2000, count: 5, userTimeout: 9000 }],
  ['ESM: import { enableKeepalive } from "tcp-keepalive"', 'roundtrip.mjs', { idle: 6000, interval: 3000, count: 4, userTimeout: 7000 }],
])('%s', (_label, script, expected) => {
  test('sets keepalive on a real connection and reads it back, through the prebuild', () => {
    const { settings, maps } = json<{ settings: unknown; maps: string }>(inProject([script]));
    expect(settings).toEqual({ enabled: true, ...expected });
    expect(mappedAddons(maps)).toEqual([
      fs.realpathSync(path.join(packageDir, 'prebuilds', `${process.platform}-${process.arch}`, 'tcp-keepalive.glibc.node')),
    ]);
  });
});

test('every subpath in the exports map loads, with the same names from require and import', () => {
  const subpaths = loadableSubpaths();
  expect(subpaths.map(({ subpath }) => subpath)).toContain('.');
  const loaded = json<Record<string, { cjs: unknown; esm: unknown }>>(
    inProject(['exports.mjs', ...subpaths.map(({ specifier }) => specifier)]),
  );
  for (const { specifier, cjs, esm } of subpaths) {
    const { cjs: cjsNames, esm: esmNames } = loaded[specifier];
    // An array of names, not { error }. A preload (./register) may export nothing.
    if (cjs) expect({ specifier, names: Array.isArray(cjsNames) }).toEqual({ specifier, names: true });
    if (esm) expect({ specifier, names: Array.isArray(esmNames) }).toEqual({ specifier, names: true });
    if (cjs && esm) expect({ specifier, esmNames }).toEqual({ specifier, esmNames: cjsNames });
  }
  expect(loaded[manifest.name].cjs).toEqual(expect.arrayContaining(['enableKeepalive']));
});

describe('TypeScript (tsc --noEmit --strict --exactOptionalPropertyTypes, types through the exports map)', () => {
  const tsc = (args: string[]): Run =>
    inProject([
      path.join('node_modules', 'typescript', 'bin', 'tsc'),
      '--noEmit',
      '--strict',
      '--exactOptionalPropertyTypes',
      '--target',
      'es2022',
      '--types',
      'node',
      ...args,
    ]);
  const nodeNext = ['--module', 'nodenext', '--moduleResolution', 'nodenext'];
  const bundler = ['--module', 'esnext', '--moduleResolution', 'bundler'];

  /** What TypeScript resolves `specifier` to from the project, export by export. */
  function typedExports(specifier: string): string[] {
    const probe = path.join(project.dir, 'probe-exports.mts');
    fs.writeFileSync(probe, `export * as all from '${specifier}';\n`);
    const program = ts.createProgram([probe], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      noEmit: true,
      types: [],
    });
    const declaration = program.getSourceFile(probe)?.statements.find(ts.isExportDeclaration);
    const symbol = declaration?.moduleSpecifier && program.getTypeChecker().getSymbolAtLocation(declaration.moduleSpecifier);
    fs.rmSync(probe);
    if (!symbol) throw new Error(`TypeScript resolves no types for ${specifier}`);
    return program.getTypeChecker().getExportsOfModule(symbol).map((exported) => exported.name).sort();
  }

  /** The names uses-everything.ts imports from the package. */
  function usedNames(): string[] {
    const source = ts.createSourceFile('uses-everything.ts', fs.readFileSync(path.join(fixtures, 'uses-everything.ts'), 'utf8'), ts.ScriptTarget.ES2022);
    const names: string[] = [];
    for (const statement of source.statements) {
      if (!ts.isImportDeclaration(statement) || (statement.moduleSpecifier as ts.StringLiteral).text !== manifest.name) continue;
      const bindings = statement.importClause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings)) for (const element of bindings.elements) names.push((element.propertyName ?? element.name).text);
    }
    return names.sort();
  }

  test('the usage file covers every function and type the package exports', () => {
    expect(usedNames()).toEqual(typedExports(manifest.name));
  });

  test('it compiles as ESM and as CommonJS (nodenext), and for bundlers', () => {
    fs.copyFileSync(path.join(project.dir, 'uses-everything.ts'), path.join(project.dir, 'uses-everything.mts'));
    fs.copyFileSync(path.join(project.dir, 'uses-everything.ts'), path.join(project.dir, 'uses-everything.cts'));
    for (const result of [tsc([...nodeNext, 'uses-everything.mts', 'uses-everything.cts']), tsc([...bundler, 'uses-everything.ts'])]) {
      expect(result.stdout + result.stderr).toBe('');
      expect(result.status).toBe(0);
    }
  });

  test('every subpath export has types for every name it exports at run time', () => {
    const subpaths = loadableSubpaths();
    const loaded = json<Record<string, { cjs: string[]; esm: string[] }>>(
      inProject(['exports.mjs', ...subpaths.map(({ specifier }) => specifier)]),
    );
    const files = subpaths.map(({ specifier, esm }, index) => {
      const names = esm ? loaded[specifier].esm : loaded[specifier].cjs;
      const file = `subpath-${index}.${esm ? 'mts' : 'cts'}`;
      fs.writeFileSync(
        path.join(project.dir, file),
        `import * as exported from '${specifier}';\nexport const names: Array<keyof typeof exported> = ${JSON.stringify(names)};\n`,
      );
      return file;
    });
    const result = tsc([...nodeNext, ...files]);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  test('a misspelt option (intervall) is a type error', () => {
    fs.copyFileSync(path.join(project.dir, 'wrong-option.ts'), path.join(project.dir, 'wrong-option.mts'));
    const result = tsc([...nodeNext, 'wrong-option.mts']);
    expect(result.status).not.toBe(0);
    const errors = result.stdout.split('\n').filter((line) => line.includes('error TS'));
    expect(errors).toEqual([
      expect.stringMatching(/^wrong-option\.mts\(6,\d+\): error TS(2353|2561): .*'intervall' does not exist in type 'KeepaliveOptions( \| KeepaliveSettings)?'/),
      expect.stringMatching(/^wrong-option\.mts\(7,\d+\): error TS2367: .*'"ESTABLISHD"'/),
    ]);
  });
});
