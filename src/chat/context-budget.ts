/** Room kept for the answer when the client sets no max_tokens: 1024 tokens, at most a quarter of the window. */
export function defaultAnswerReserve(numCtx: number): number {
  return Math.min(1024, Math.floor(numCtx / 4));
}

export interface BudgetInput {
  numCtx: number;
  /** Instructions, labels and the question, with per-message overhead. */
  fixedTokens: number;
  answerReserve: number;
  /** Earlier messages, oldest first, with their estimated tokens. */
  historyTokens: number[];
  /** Candidate sources, best first, with their estimated tokens. */
  sourceTokens: number[];
}

export interface BudgetPlan {
  /** How many of the best sources fit (a prefix of the ranking). */
  keptSources: number;
  /** How many of the oldest history messages were left out. */
  droppedHistory: number;
  historyTokens: number;
  sourceBudget: number;
  sourceTokens: number;
}

/**
 * Shares the context window: num_ctx − instructions and question − answer reserve is split between the
 * history and the sources. Sources come first: history may use at most half of that room (oldest turns,
 * two messages at a time, are dropped until it fits); the sources then fill what is left, best first,
 * and the lowest-ranked whole chunks are dropped — never cut in the middle.
 */
export function planContextBudget(input: BudgetInput): BudgetPlan {
  const room = Math.max(0, input.numCtx - input.fixedTokens - input.answerReserve);
  const history = [...input.historyTokens];
  let droppedHistory = 0;
  let historyTokens = sum(history);
  while (history.length && historyTokens > room / 2) {
    const dropped = history.splice(0, Math.min(2, history.length));
    droppedHistory += dropped.length;
    historyTokens -= sum(dropped);
  }
  const sourceBudget = room - historyTokens;
  let keptSources = 0;
  let sourceTokens = 0;
  for (const tokens of input.sourceTokens) {
    if (sourceTokens + tokens > sourceBudget) break;
    sourceTokens += tokens;
    keptSources++;
  }
  return { keptSources, droppedHistory, historyTokens, sourceBudget, sourceTokens };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
