// Stopgap: a few e2e assertions depend on planner statistics or on what other suites left in the shared
// test database at that moment. Retries are logged, so flakiness stays visible until each is made exact.
jest.retryTimes(2, { logErrorsBeforeRetry: true });
