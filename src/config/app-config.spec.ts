import { ConfigError, loadAppConfig } from './app-config';

const base = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/zhiku' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadAppConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('loadAppConfig', () => {
  it('fills documented defaults', () => {
    const config = loadAppConfig(base);
    expect(config).toMatchObject({
      ollamaBaseUrl: 'http://127.0.0.1:11434',
      embeddingModel: 'bge-m3',
      chatModel: 'qwen2.5:7b',
      port: 3000,
      role: 'all',
      maxUploadMb: 100,
      embedBatchSize: 32,
      embedConcurrency: 2,
      chatNumCtx: 8192,
    });
  });

  it('names every bad variable in one go', () => {
    const problems = problemsOf({ PORT: 'abc', ROLE: 'boss', OLLAMA_BASE_URL: 'ftp://x:1', MAX_UPLOAD_MB: '0' });
    expect(problems.join('\n')).toMatch(/DATABASE_URL is required/);
    expect(problems.join('\n')).toMatch(/PORT must be a whole number/);
    expect(problems.join('\n')).toMatch(/ROLE must be one of api, worker, all/);
    expect(problems.join('\n')).toMatch(/OLLAMA_BASE_URL must start with http:\/\/ or https:\/\//);
    expect(problems.join('\n')).toMatch(/MAX_UPLOAD_MB must be a whole number from 1/);
  });

  it('insists on a port in OLLAMA_BASE_URL, since the ollama client would default to 80', () => {
    expect(problemsOf({ ...base, OLLAMA_BASE_URL: 'http://172.17.0.1' })).toEqual([
      expect.stringMatching(/OLLAMA_BASE_URL must include the port/),
    ]);
    expect(loadAppConfig({ ...base, OLLAMA_BASE_URL: 'http://172.17.0.1:11434/' }).ollamaBaseUrl).toBe(
      'http://172.17.0.1:11434',
    );
  });

  it('requires admin email and password together and a password of 8+ characters', () => {
    expect(problemsOf({ ...base, ADMIN_EMAIL: 'a@b.c' })).toEqual([expect.stringMatching(/set together/)]);
    expect(problemsOf({ ...base, ADMIN_EMAIL: 'a@b.c', ADMIN_PASSWORD: 'short' })).toEqual([
      expect.stringMatching(/ADMIN_PASSWORD must be at least 8/),
    ]);
  });

  it('reads TRUST_PROXY in the forms Express takes and HTTPS_HEADERS, and names bad values', () => {
    expect(loadAppConfig(base)).toMatchObject({ trustProxy: ['loopback'], httpsHeaders: 'auto' });
    expect(loadAppConfig({ ...base, TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadAppConfig({ ...base, TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadAppConfig({ ...base, TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::1' }).trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::1',
    ]);
    expect(problemsOf({ ...base, TRUST_PROXY: 'everyone', HTTPS_HEADERS: 'sometimes' })).toEqual([
      expect.stringMatching(/TRUST_PROXY must be/),
      expect.stringMatching(/HTTPS_HEADERS must be one of auto, always, never/),
    ]);
  });
});
