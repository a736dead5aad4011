// Jest runs the TypeScript sources as native ES modules (the toolkit is
// ESM-only). Type errors are caught by `tsc --noEmit` in `npm test`, so
// ts-jest only transpiles here.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true }]
  },
  testMatch: ['**/__tests__/**/*.test.ts'],
  testTimeout: 30000
}
