import { resolveAnswerSettings } from './answer-settings';

const defaults = { chatModel: 'qwen2.5:7b', chatNumCtx: 8192 };

describe('resolveAnswerSettings', () => {
  it('fills gaps with the defaults', () => {
    expect(resolveAnswerSettings({}, defaults)).toEqual({
      chatModel: 'qwen2.5:7b',
      prompt: undefined,
      noHitMode: 'text',
      noHitText: undefined,
      historyTurns: 3,
      rewriteFollowUps: true,
      numCtx: 8192,
      temperature: 0.2,
    });
  });

  it('takes valid overrides and ignores nulls and wrong values', () => {
    const settings = {
      chatModel: 'qwen3:8b',
      historyTurns: 0,
      rewriteFollowUps: false,
      numCtx: 4096,
      temperature: 0,
      noHitMode: 'model' as const,
    };
    expect(resolveAnswerSettings(settings, defaults)).toMatchObject(settings);
    const broken = {
      chatModel: null,
      historyTurns: -1,
      numCtx: 'big',
      temperature: 9,
      prompt: '  ',
    } as unknown as Record<string, unknown>;
    expect(resolveAnswerSettings(broken, defaults)).toMatchObject({
      chatModel: 'qwen2.5:7b',
      historyTurns: 3,
      numCtx: 8192,
      temperature: 0.2,
      prompt: undefined,
    });
  });
});
