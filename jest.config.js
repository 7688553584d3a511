// Unit tests live beside the code (packages/*/src/**/*.test.ts, native/ts/**/*.test.ts);
// integration tests live in test/. Tests that start drivers load the compiled output in dist/,
// so `tsc -b` (npm's prepare step) runs before jest.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/native/ts', '<rootDir>/packages', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'test/tsconfig.json' }] },
  testTimeout: 60000,
  maxWorkers: 1,
};
