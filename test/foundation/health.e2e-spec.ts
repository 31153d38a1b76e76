import request from 'supertest';
import { FakeOllama } from '../fake-ollama/fake-ollama.server';
import { AuthSession, loginAsAdmin } from '../support/auth-helpers';
import { startTestApp, TestApp } from '../support/test-app';

describe('health, docs and error shape (real PostgreSQL, Redis, fake Ollama)', () => {
  let fake: FakeOllama;
  let t: TestApp;
  let admin: AuthSession;

  beforeAll(async () => {
    fake = await FakeOllama.start({ port: 0 });
    t = await startTestApp({ fake });
    admin = await loginAsAdmin(t);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });
  afterEach(() => fake.reset());

  it('reports database, redis and ollama up, with the configured models present', async () => {
    const open = await request(t.url).get('/health').expect(200);
    expect(open.body).toMatchObject({ status: 'ok', details: { ollama: { status: 'up' } } });
    const res = await request(t.url).get('/health/details').set(admin.headers).expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.details.database.status).toBe('up');
    expect(res.body.details.redis.status).toBe('up');
    expect(res.body.details.ollama).toMatchObject({
      status: 'up',
      url: fake.url,
      models: { embedding: { name: 'bge-m3', present: true }, chat: { name: 'qwen2.5:7b', present: true } },
    });
  });

  it('says which model is missing and how to get it', async () => {
    fake.configure({ missingModels: ['qwen2.5:7b'] });
    await request(t.url).get('/health').expect(503);
    const res = await request(t.url).get('/health/details').set(admin.headers).expect(503);
    expect(res.body.details.database.status).toBe('up');
    expect(res.body.details.ollama.status).toBe('down');
    expect(res.body.details.ollama.message).toContain('ollama pull qwen2.5:7b');
  });

  it('reports ollama down with a fix hint while the rest keeps serving', async () => {
    const lonely = await FakeOllama.start({ port: 0 });
    const app = await startTestApp({ fake: lonely });
    try {
      const appAdmin = await loginAsAdmin(app);
      await lonely.stop();
      await request(app.url).get('/health').expect(503);
      const res = await request(app.url).get('/health/details').set(appAdmin.headers).expect(503);
      expect(res.body.details.database.status).toBe('up');
      expect(res.body.details.redis.status).toBe('up');
      expect(res.body.details.ollama.status).toBe('down');
      expect(res.body.details.ollama.message).toContain(lonely.url);
      expect(res.body.details.ollama.message).toMatch(/0\.0\.0\.0/);
      // Still alive and answering.
      await request(app.url).get('/health/live').expect(200);
    } finally {
      await app.close();
    }
  });

  it('serves the OpenAPI page at /docs and its JSON at /docs-json', async () => {
    const page = await request(t.url).get('/docs').redirects(1).expect(200);
    expect(page.text).toContain('swagger');
    const json = await request(t.url).get('/docs-json').expect(200);
    expect(json.body.openapi).toMatch(/^3\./);
    expect(Object.keys(json.body.paths)).toContain('/health');
  });

  it('answers unknown routes and broken JSON with a JSON error body in plain words', async () => {
    const missing = await request(t.url).get('/api/no-such-thing').expect(404);
    expect(missing.body).toMatchObject({ statusCode: 404, error: 'NOT_FOUND' });
    expect(missing.body.message).toMatch(/No such route/);

    const broken = await request(t.url)
      .post('/api/no-such-thing')
      .set('Content-Type', 'application/json')
      .send('{"name": ')
      .expect(400);
    expect(broken.body).toMatchObject({ statusCode: 400 });
    expect(broken.body.message).toMatch(/not valid JSON/);
  });

  it('tags every response with a request id', async () => {
    const res = await request(t.url).get('/health/live').set('X-Request-Id', 'abc-123').expect(200);
    expect(res.headers['x-request-id']).toBe('abc-123');
  });
});
