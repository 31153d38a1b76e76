// Browser tests of the admin UI: `npx jest -c test/ui/jest.config.js` (after `npm run web:build`).
// admin-ui-mock: the UI against an in-memory API (no backend needed).
// admin-ui: the full walk against the real app (see test/ui/README.md for what it needs).
module.exports = {
  rootDir: '../..',
  testMatch: ['<rootDir>/test/ui/**/*.e2e-spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/ui/tsconfig.json' }] },
  testEnvironment: 'node',
  testTimeout: 180_000,
  maxWorkers: 1,
};
