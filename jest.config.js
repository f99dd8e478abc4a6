// Two projects: the suite of the tree under test (src/ and its build), and the
// tests of the packed tarball as users install it (test/package).
const common = {
  preset: 'ts-jest',
  testEnvironment: 'node',
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'in-tree',
      roots: ['<rootDir>/test'],
      testMatch: ['<rootDir>/test/*.test.ts'],
      testTimeout: 20000,
      globalSetup: '<rootDir>/test/helpers/build-dist.js',
    },
    {
      ...common,
      displayName: 'tarball',
      roots: ['<rootDir>/test/package'],
      testMatch: ['**/*.test.ts'],
      // npm installs and tsc runs take seconds each.
      testTimeout: 180000,
      globalSetup: '<rootDir>/test/package/setup.js',
      globalTeardown: '<rootDir>/test/package/teardown.js',
    },
  ],
};
