import { estimateTokens } from './token-estimate';

describe('estimateTokens', () => {
  it('counts a CJK character as one token and English as four characters per token', () => {
    expect(estimateTokens('知识库')).toBe(3);
    expect(estimateTokens('abcdefgh')).toBe(2);
    expect(estimateTokens('知识 abcd')).toBe(2 + 2);
  });
});
