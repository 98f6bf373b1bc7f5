/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // tsconfig sets isolatedModules, so ts-jest transpiles without type checking: `npm run build` checks types.
    '^.+\\.ts$': 'ts-jest',
  },
  moduleNameMapper: {
    '^@mcp-accelerator/runtime$': '<rootDir>/lambdas/runtime/index.ts',
  },
  setupFiles: ['<rootDir>/test/support/quiet-powertools.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/support/temp-directory.ts'],
  testTimeout: 60_000,
};
