/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type checking runs in `npm run build`; transpiling alone keeps the suite fast.
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true }],
  },
  moduleNameMapper: {
    '^@mcp-accelerator/runtime$': '<rootDir>/lambdas/runtime/index.ts',
  },
  setupFiles: ['<rootDir>/test/support/quiet-powertools.ts'],
  testTimeout: 60_000,
};
