/** Retries `check` (an expectation that throws until it holds) until it passes or `timeoutMs` is over. */
export async function eventually(check: () => Promise<void> | void, timeoutMs = 30_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }
}
