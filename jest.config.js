// Two projects: the suite of the tree under test (src/ and its build), and the
// tests of the packed tarball as users install it (test/package).
const common = {
  preset: 'ts-jest',
  testEnvironment: 'node',
};

/** @type {import('jest').Config} */
module.exports = {
  // testTimeout is one of jest's global options: a project's own is ignored.
  // The tarball project raises it in its setup file.
  testTimeout: 20000,
  projects: [
    {
      ...common,
      displayName: 'in-tree',
      roots: ['<rootDir>/test'],
      testMatch: ['<rootDir>/test/*.test.ts'],
      globalSetup: '<rootDir>/test/helpers/build-dist.js',
    },
    {
      ...common,
      displayName: 'tarball',
      roots: ['<rootDir>/test/package'],
      testMatch: ['**/*.test.ts'],
      // npm installs and tsc runs take seconds each.
      setupFilesAfterEnv: ['<rootDir>/test/package/timeout.js'],
      globalSetup: '<rootDir>/test/package/setup.js',
      globalTeardown: '<rootDir>/test/package/teardown.js',
    },
  ],
};
