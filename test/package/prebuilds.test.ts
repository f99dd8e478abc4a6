// The four prebuilds as the tarball holds them, read with readelf: built for
// the architecture their directory names, exporting only Node's entry points,
// taking nothing from Node beyond Node-API 8, and loadable on old
// distributions (glibc) or with musl's libc alone (musl). Independent of the
// Node version: CI runs this file once.
import path from 'node:path';
import { dynamicSymbols, neededLibraries, nodeApiSymbols, readelf, shippedPrebuilds, unpackTarball, versionNeeds } from './cross';

let unpacked: { dir: string; remove: () => void };
beforeAll(() => {
  unpacked = unpackTarball();
});
afterAll(() => unpacked?.remove());

const fileOf = (prebuild: { file: string }): string => path.join(unpacked.dir, prebuild.file);

/** "2.17" → [2, 17]; compares dotted versions number by number. */
function atMost(version: string, limit: string): boolean {
  const a = version.split('.').map(Number);
  const b = limit.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  }
  return true;
}

describe.each(shippedPrebuilds)('$file', (prebuild) => {
  test('is a 64-bit shared object for its architecture', () => {
    const header = readelf(['-h'], fileOf(prebuild));
    expect(header).toMatch(/Class:\s+ELF64/);
    expect(header).toMatch(/Type:\s+DYN /);
    expect(header).toContain(`Machine:                           ${prebuild.machine}`);
  });

  test("exports Node's two entry points and nothing else", () => {
    expect(dynamicSymbols(fileOf(prebuild)).defined).toEqual(['napi_register_module_v1', 'node_api_module_get_api_version_v1']);
  });

  test('takes from Node only Node-API functions of version 8 or older (NAPI_VERSION=8)', () => {
    const fromNode = dynamicSymbols(fileOf(prebuild)).undefined.filter((name) => /^(napi|node_api)_/.test(name));
    expect(fromNode.length).toBeGreaterThan(10);
    const available = nodeApiSymbols(8);
    expect(fromNode.filter((name) => !available.has(name))).toEqual([]);
  });
});

// Old distributions: what a glibc prebuild needs is what the oldest system it
// should load on has. GLIBC_2.17 is the oldest arm64 glibc (and CentOS 7's);
// x64 stays at the GLIBC_2.14 it needed before. GLIBCXX_3.4.21 and
// CXXABI_1.3.9 came with GCC 5's libstdc++ (the C++11 std::string).
const glibcLimits: Record<string, { library: string; prefix: string; limit: string }[]> = {
  'linux-x64': [
    { library: 'libc.so.6', prefix: 'GLIBC_', limit: '2.14' },
    { library: 'libm.so.6', prefix: 'GLIBC_', limit: '2.14' },
    { library: 'libstdc++.so.6', prefix: 'GLIBCXX_', limit: '3.4.21' },
    { library: 'libstdc++.so.6', prefix: 'CXXABI_', limit: '1.3.9' },
  ],
  'linux-arm64': [
    { library: 'libc.so.6', prefix: 'GLIBC_', limit: '2.17' },
    { library: 'libm.so.6', prefix: 'GLIBC_', limit: '2.17' },
    { library: 'libstdc++.so.6', prefix: 'GLIBCXX_', limit: '3.4.21' },
    { library: 'libstdc++.so.6', prefix: 'CXXABI_', limit: '1.3.9' },
  ],
};

describe.each(shippedPrebuilds.filter(({ libc }) => libc === 'glibc'))('$file on old distributions', (prebuild) => {
  test('needs only glibc and libstdc++, at GLIBC_2.17 / GLIBCXX_3.4.21 / CXXABI_1.3.9 at most (x64: GLIBC_2.14)', () => {
    const file = fileOf(prebuild);
    const limits = glibcLimits[prebuild.dir];
    expect(neededLibraries(file).filter((library) => !limits.some((entry) => entry.library === library))).toEqual([]);
    const needs = versionNeeds(file);
    // Something to check: the file is dynamically linked against both.
    expect(Object.keys(needs).sort()).toEqual(expect.arrayContaining(['libc.so.6', 'libstdc++.so.6']));
    const tooNew: string[] = [];
    for (const [library, versions] of Object.entries(needs)) {
      for (const version of versions) {
        const rule = limits.find((entry) => entry.library === library && version.startsWith(entry.prefix));
        if (!rule || !atMost(version.slice(rule.prefix.length), rule.limit)) tooNew.push(`${library}: ${version}`);
      }
    }
    expect(tooNew).toEqual([]);
  });
});

describe('the version check itself', () => {
  test('orders versions number by number, as the dynamic linker does', () => {
    expect(atMost('2.17', '2.17')).toBe(true);
    expect(atMost('2.2.5', '2.14')).toBe(true);
    expect(atMost('2.14', '2.2.5')).toBe(false);
    expect(atMost('3.4.22', '3.4.21')).toBe(false);
    expect(atMost('3.4', '3.4.21')).toBe(true);
  });
});

describe.each(shippedPrebuilds.filter(({ libc }) => libc === 'musl'))('$file without glibc', (prebuild) => {
  test("names musl's libc as its only shared library, with no symbol versions and no interpreter", () => {
    const file = fileOf(prebuild);
    // musl's dynamic linker answers for every libc.* name itself; no libstdc++ or libc++: zig linked its C++ runtime in.
    expect(neededLibraries(file)).toEqual(['libc.so']);
    // glibc's symbol versions (GLIBC_2.x) are what would tie it to glibc: none at all.
    expect(versionNeeds(file)).toEqual({});
    expect(readelf(['-V'], file)).toContain('No version information found');
    expect(readelf(['-l'], file)).not.toContain('INTERP');
    expect(readelf(['-p', '.dynstr'], file)).not.toMatch(/GLIBC|libstdc\+\+|ld-linux/);
  });
});
