// What the tarball holds (npm pack's own report, checked against the archive),
// its size, and the exports map and types as publint and arethetypeswrong see
// them. Independent of the Node version: CI runs this file once.
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot, run, tarball, userEnv } from './project';

interface PackReport {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string; size: number }[];
}

const report = (): PackReport => JSON.parse(fs.readFileSync(tarball().replace(/\.tgz$/, '.json'), 'utf8')) as PackReport;

/** What users need: the compiled library, the sources and build files to compile the addon, the prebuilds, the docs. */
function expectedFiles(): string[] {
  // Every .ts compiles to a .d.ts (.mts, tcp-keepalive/vitest, an ES module, to .d.mts). The
  // JavaScript shipped is the entry points, each bundled by scripts/bundle.js (the testing
  // entries reach the library through dist/index.js), the presets they share, and
  // dist/vitest.mjs: tsc's per-file copies of the rest stay in the tree.
  const sources = (fs.readdirSync(path.join(repoRoot, 'src'), { recursive: true }) as string[])
    .filter((file) => /\.m?ts$/.test(file) && !/\.d\.m?ts$/.test(file))
    .map((file) => file.split(path.sep).join('/'));
  const declarations = sources.map((file) => `dist/${file.replace(/\.(m?)ts$/, '.d.$1ts')}`);
  const entries = ['index', 'runtime', 'presets', 'register', 'cli', 'lab', 'assert', 'matchers', 'jest'].map((name) => `dist/${name}.js`);
  const compiled = [...declarations, ...entries, 'dist/vitest.mjs'];
  const native = fs.readdirSync(path.join(repoRoot, 'native')).map((file) => `native/${file}`);
  return [
    'package.json',
    'README.md',
    'LICENSE',
    'binding.gyp',
    'CMakeLists.txt',
    ...native,
    ...compiled,
    // Linux x64 and arm64, each for glibc and for musl (scripts/prebuild.sh).
    'prebuilds/linux-arm64/tcp-keepalive.glibc.node',
    'prebuilds/linux-arm64/tcp-keepalive.musl.node',
    'prebuilds/linux-x64/tcp-keepalive.glibc.node',
    'prebuilds/linux-x64/tcp-keepalive.musl.node',
  ].sort();
}

test('the tarball holds exactly what users need, as npm reported it', () => {
  const { files, entryCount } = report();
  const listed = files.map((file) => file.path).sort();
  expect(listed).toEqual(expectedFiles());
  expect(entryCount).toBe(listed.length);
  // The archive itself: every entry under package/, the same list.
  const archive = run('tar', ['-tzf', tarball()], repoRoot, userEnv());
  expect(archive.status).toBe(0);
  const entries = archive.stdout.trim().split('\n').sort();
  expect(entries).toEqual(listed.map((file) => `package/${file}`));
});

test('its size stays small: the prebuilds are stripped, no maps, tests or sources of the JS', () => {
  const { size, unpackedSize, files } = report();
  const prebuilds = files.filter((file) => file.path.startsWith('prebuilds/'));
  expect(prebuilds).toHaveLength(4);
  // Measured at 216 kB packed and 688 kB unpacked. Each prebuild, in bytes:
  // glibc 27 kB (x64) and 68 kB (arm64: its RELRO segment is aligned to
  // 64 kB pages, padding that compresses to nothing), musl 186 kB and 187 kB
  // (zig links the C++ runtime it needs statically: libc++, libc++abi, libunwind).
  expect(size).toBeLessThan(250 * 1000);
  expect(unpackedSize).toBeLessThan(800 * 1000);
  const limits: Record<string, number> = { glibc: 80 * 1000, musl: 200 * 1000 };
  for (const prebuild of prebuilds) {
    const libc = /\.(glibc|musl)\.node$/.exec(prebuild.path)?.[1] ?? '';
    expect({ file: prebuild.path, under: prebuild.size < limits[libc] }).toEqual({ file: prebuild.path, under: true });
  }
  // Stripped: no symbol table or debug information, only the dynamic symbols Node needs.
  const extracted = fs.mkdtempSync(path.join(path.dirname(tarball()), 'extract-'));
  try {
    expect(run('tar', ['-xzf', tarball(), '-C', extracted], repoRoot, userEnv()).status).toBe(0);
    for (const prebuild of prebuilds) {
      const sections = run('readelf', ['-S', '--wide', path.join(extracted, 'package', prebuild.path)], repoRoot, userEnv());
      expect(sections.status).toBe(0);
      expect({ file: prebuild.path, dynsym: sections.stdout.includes('.dynsym') }).toEqual({ file: prebuild.path, dynsym: true });
      expect({ file: prebuild.path, symtab: sections.stdout.includes('.symtab') }).toEqual({ file: prebuild.path, symtab: false });
      expect({ file: prebuild.path, debug: sections.stdout.includes('.debug_') }).toEqual({ file: prebuild.path, debug: false });
    }
  } finally {
    fs.rmSync(extracted, { recursive: true, force: true });
  }
});

test('publint finds nothing to report, not even a suggestion', () => {
  const script = [
    "import fs from 'node:fs';",
    "import { publint } from 'publint';",
    'const bytes = fs.readFileSync(process.argv[1]);',
    'const tarball = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);',
    "const { messages } = await publint({ pack: { tarball }, level: 'suggestion', strict: true });",
    'process.stdout.write(JSON.stringify(messages));',
  ].join('\n');
  const result = run(process.execPath, ['--input-type=module', '-e', script, tarball()], repoRoot, userEnv());
  expect(result.stderr).toBe('');
  expect(JSON.parse(result.stdout)).toEqual([]);
});

test('arethetypeswrong finds no problem in any module resolution (node10, node16 CJS and ESM, bundler) but the ESM-only vitest setup', () => {
  const attw = path.join(repoRoot, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
  const result = run(process.execPath, [attw, tarball(), '--format', 'json', '--no-definitely-typed'], repoRoot, userEnv());
  const { analysis } = JSON.parse(result.stdout) as {
    analysis: { problems: unknown[]; entrypoints: Record<string, { resolutions: Record<string, unknown> }> };
  };
  expect(Object.keys(analysis.entrypoints)).toContain('.');
  expect(Object.keys(analysis.entrypoints['.'].resolutions).sort()).toEqual(['bundler', 'node10', 'node16-cjs', 'node16-esm']);
  // tcp-keepalive/vitest is an ES module, as vitest itself is (its require() throws): from
  // CommonJS it loads with import() only, which is what arethetypeswrong reports. Nothing else.
  expect(analysis.problems).toEqual([{ kind: 'CJSResolvesToESM', entrypoint: './vitest', resolutionKind: 'node16-cjs' }]);
  // attw exits 1 on any problem, that one included.
  expect(result.status).toBe(1);
});
