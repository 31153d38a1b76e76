import { defaultAnswerReserve, planContextBudget } from './context-budget';

describe('planContextBudget', () => {
  it('keeps the best sources that fit, dropping lower-ranked whole chunks', () => {
    const plan = planContextBudget({
      numCtx: 1000,
      fixedTokens: 100,
      answerReserve: 200,
      historyTokens: [],
      sourceTokens: [300, 300, 300],
    });
    expect(plan).toMatchObject({ keptSources: 2, sourceBudget: 700, sourceTokens: 600, droppedHistory: 0 });
  });

  it('never skips a big chunk to squeeze in a smaller, lower-ranked one', () => {
    const plan = planContextBudget({
      numCtx: 1000,
      fixedTokens: 100,
      answerReserve: 200,
      historyTokens: [],
      sourceTokens: [300, 500, 10],
    });
    expect(plan.keptSources).toBe(1);
  });

  it('gives history at most half the room, dropping the oldest turns first', () => {
    const plan = planContextBudget({
      numCtx: 1000,
      fixedTokens: 100,
      answerReserve: 100,
      historyTokens: [200, 200, 100, 100],
      sourceTokens: [300, 300],
    });
    // Room 800: history 600 > 400, so the oldest turn (2 messages, 400 tokens) goes.
    expect(plan).toMatchObject({ droppedHistory: 2, historyTokens: 200, sourceBudget: 600, keptSources: 2 });
  });

  it('keeps nothing when the question alone fills the window', () => {
    const plan = planContextBudget({
      numCtx: 512,
      fixedTokens: 600,
      answerReserve: 128,
      historyTokens: [50, 50],
      sourceTokens: [10],
    });
    expect(plan).toMatchObject({ keptSources: 0, droppedHistory: 2 });
  });

  it('reserves 1024 tokens for the answer, at most a quarter of the window', () => {
    expect(defaultAnswerReserve(8192)).toBe(1024);
    expect(defaultAnswerReserve(2048)).toBe(512);
  });
});
