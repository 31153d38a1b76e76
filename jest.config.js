/**
 * Two projects: `unit` (spec files beside the code) and `e2e` (e2e-spec files under test/, on the real
 * PostgreSQL + pgvector, Redis and the fake Ollama). Run through `npm test`, which adds
 * --experimental-vm-modules (pdf-parse loads pdf.js with a dynamic import).
 */
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json', diagnostics: false }] };
const common = {
  testEnvironment: 'node',
  transform,
  moduleFileExtensions: ['ts', 'js', 'json'],
  setupFiles: ['<rootDir>/test/support/test-env.ts'],
};

module.exports = {
  // A global option in jest 30 (ignored per project); e2e tests start real services and documents.
  testTimeout: 120_000,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  projects: [
    { ...common, displayName: 'unit', rootDir: __dirname, testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      rootDir: __dirname,
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
    },
  ],
};
