import request from 'supertest';
import { FakeOllama } from '../fake-ollama/fake-ollama.server';
import { AuthSession, createMember, loginAsAdmin, TestMember } from '../support/auth-helpers';
import { parseSse } from '../support/retrieval-fixtures';
import { startTestApp, TestApp } from '../support/test-app';

interface ServerEvent {
  event: string;
  data: Record<string, unknown>;
}

const parseEvents = (body: string) => parseSse(body) as ServerEvent[];

describe('models API: list what Ollama has, pull with progress', () => {
  let fake: FakeOllama;
  let t: TestApp;
  let admin: AuthSession;
  let member: TestMember;

  beforeAll(async () => {
    fake = await FakeOllama.start({ port: 0 });
    t = await startTestApp({ role: 'api', fake });
    admin = await loginAsAdmin(t);
    member = await createMember(t, admin.token);
  });
  beforeEach(() => fake.reset());
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  const installedNames = async (): Promise<string[]> => {
    const res = await request(t.url).get('/api/models').set(admin.headers).expect(200);
    return (res.body.models as { name: string }[]).map((m) => m.name);
  };

  const pull = (name: unknown, headers = admin.headers) =>
    fetch(`${t.url}/api/models/pull`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify({ name }),
    });

  it("lists Ollama's installed models with the fields the admin UI shows, to any signed-in user", async () => {
    const res = await request(t.url).get('/api/models').set(member.headers).expect(200);
    // Where Ollama runs is for administrators.
    expect(res.body.url).toBeUndefined();
    expect((await request(t.url).get('/api/models').set(admin.headers).expect(200)).body.url).toBe(fake.url);
    expect(res.body.models).toEqual(
      expect.arrayContaining([
        {
          name: 'bge-m3:latest',
          size: expect.any(Number),
          modifiedAt: expect.any(String),
          digest: expect.any(String),
          family: expect.any(String),
          parameterSize: expect.any(String),
          quantizationLevel: expect.any(String),
          capabilities: ['embedding'],
        },
        expect.objectContaining({ name: 'qwen2.5:7b', capabilities: expect.arrayContaining(['completion']) }),
      ]),
    );
  });

  it('pulls a missing model, relaying progress as server-sent events, and then lists it', async () => {
    fake.configure({ missingModels: ['qwen3:0.6b'] });
    expect(await installedNames()).not.toContain('qwen3:0.6b');

    const res = await pull('qwen3:0.6b');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = parseEvents(await res.text());

    expect(events[0]).toEqual({ event: 'progress', data: { status: 'pulling manifest' } });
    const downloads = events.filter((e) => e.event === 'progress' && typeof e.data.completed === 'number');
    expect(downloads.length).toBeGreaterThanOrEqual(2);
    expect(downloads.at(-1)!.data).toEqual({
      status: expect.stringMatching(/^pulling /),
      digest: expect.stringMatching(/^sha256:/),
      total: expect.any(Number),
      completed: downloads.at(-1)!.data.total,
    });
    expect(events.at(-1)).toEqual({ event: 'done', data: { status: 'success' } });
    expect(await installedNames()).toContain('qwen3:0.6b');
  });

  it('ends with an error event in plain words for a model Ollama does not know', async () => {
    const res = await pull('no-such-model:1b');
    expect(res.status).toBe(200);
    const events = parseEvents(await res.text());
    expect(events.at(-1)).toEqual({
      event: 'error',
      data: { code: 'MODEL_NOT_FOUND', message: expect.stringContaining('no model "no-such-model:1b"') },
    });
    expect(events.some((e) => e.event === 'done')).toBe(false);
  });

  it('stops the pull in Ollama when the client goes away', async () => {
    fake.configure({ missingModels: ['qwen3:0.6b'], tokenDelayMs: 150 });
    const controller = new AbortController();
    const res = await fetch(`${t.url}/api/models/pull`, {
      method: 'POST',
      headers: { ...admin.headers, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'qwen3:0.6b' }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain('event: progress');
    controller.abort();

    // The whole pull takes 6 × 150 ms; well after that the model must still not be installed.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await installedNames()).not.toContain('qwen3:0.6b');
  });

  it('refuses bad names with a 400 that says what a name looks like, before asking Ollama', async () => {
    for (const name of ['', '   ', 'rm -rf /', 'qwen;drop', 'x'.repeat(201), 42]) {
      const res = await pull(name);
      expect({ name, status: res.status }).toEqual({ name, status: 400 });
      const body = (await res.json()) as { error: string; message: string };
      expect(body.message).toMatch(/name/);
    }
    expect(fake.requests.filter((r) => r.route === '/api/pull')).toEqual([]);
  });

  it('lets only admins pull (a member gets 403)', async () => {
    const res = await pull('qwen3:0.6b', member.headers);
    expect(res.status).toBe(403);
    expect(fake.requests.filter((r) => r.route === '/api/pull')).toEqual([]);
  });

  it('answers 503 OLLAMA_UNAVAILABLE with the fix hint when Ollama is down', async () => {
    await fake.stop();
    const list = await request(t.url).get('/api/models').set(admin.headers).expect(503);
    expect(list.body).toMatchObject({
      statusCode: 503,
      error: 'OLLAMA_UNAVAILABLE',
      message: expect.stringContaining('OLLAMA_HOST=0.0.0.0'),
    });
    // A member is told what is wrong, not where Ollama is or how the server is set up.
    const forMember = await request(t.url).get('/api/models').set(member.headers).expect(503);
    expect(forMember.body).toMatchObject({
      error: 'OLLAMA_UNAVAILABLE',
      message: expect.stringMatching(/administrator/),
    });
    expect(forMember.text).not.toContain(fake.url);
    const pulled = await pull('qwen3:0.6b');
    expect(pulled.status).toBe(503);
    expect(((await pulled.json()) as { error: string }).error).toBe('OLLAMA_UNAVAILABLE');
  });
});
