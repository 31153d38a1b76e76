import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { FakeOllama } from '../fake-ollama/fake-ollama.server';
import { bearer, createApiKey, createMember, loginAsAdmin, TEST_ADMIN } from '../support/auth-helpers';
import { freePort } from '../support/free-port';
import { deleteRedisKeys, startTestApp, TestApp } from '../support/test-app';
import { auditEntries, db, seedKnowledgeBase } from './auth-fixtures';
import { cleanText, hasDebris, invisibleCharacterIn } from '../../src/common/text/clean-text';

/** Strings that break naive SQL, tsquery or path handling. Each must be stored or refused, never a 500. */
const NASTY_TEXT = [
  `'; DROP TABLE users; --`,
  `" OR 1=1 --`,
  `Robert'); DELETE FROM knowledge_bases; --`,
  `1' UNION SELECT password_hash FROM users --`,
  `\\'; SELECT pg_sleep(10); --`,
  `& | ! ( ) : * <-> '' ""`,
  `!!!((( :::*** |||&&& <->`,
  `foo:* & !bar | (baz`,
  `$1 $$ $$; :: ::regclass`,
  `../../../../etc/passwd`,
  `..\\..\\..\\windows\\system32\\config`,
  `%2e%2e%2f%2e%2e%2fetc%2fpasswd`,
  `知库'); 删除 --`,
  `\u202e\u200b\ufeff`,
];
const NUL_TEXT = `before\u0000after`;

describe('hardening: injection strings, body caps, headers, CORS, uploads', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof loginAsAdmin>>;
  const started = new Date();

  beforeAll(async () => {
    t = await startTestApp({ role: 'api' });
    admin = await loginAsAdmin(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function tablesIntact(): Promise<void> {
    const [row] = await db(t).query(
      `SELECT (SELECT count(*) FROM users)::int AS users, to_regclass('knowledge_bases') IS NOT NULL AS kbs, to_regclass('chunks') IS NOT NULL AS chunks`,
    );
    expect(row.users).toBeGreaterThan(0);
    expect(row.kbs).toBe(true);
    expect(row.chunks).toBe(true);
  }

  it('refuses a 10 MB JSON body with 413 and a JSON error, before it reaches any handler', async () => {
    const huge = JSON.stringify({ name: 'x'.repeat(10 * 1024 * 1024) });
    for (const [path, headers] of [
      ['/api/auth/login', {}],
      ['/api/knowledge-bases', admin.headers],
      ['/api/api-keys', {}],
    ] as const) {
      const res = await request(t.url)
        .post(path)
        .set(headers)
        .set('Content-Type', 'application/json')
        .send(huge)
        .expect(413);
      expect(res.headers['content-type']).toMatch(/application\/json/);
      expect(res.body).toMatchObject({
        statusCode: 413,
        error: 'PAYLOAD_TOO_LARGE',
        message: 'The request body is too large',
      });
    }
  });

  it('sends helmet security headers and no X-Powered-By; HTTPS-only headers only over HTTPS', async () => {
    // Over plain HTTP (how http://<server>:3000 is opened on a LAN) neither HSTS nor
    // upgrade-insecure-requests: with them a browser fetches every script over HTTPS and the UI stays blank.
    const res = await request(t.url).get('/').set('Host', 'zhiku.lan:3000').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(res.headers['strict-transport-security']).toBeUndefined();
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['x-powered-by']).toBeUndefined();

    // Behind a TLS-terminating proxy on loopback (trusted by default), X-Forwarded-Proto: https turns them on.
    const proxied = await request(t.url).get('/health/live').set('X-Forwarded-Proto', 'https').expect(200);
    expect(proxied.headers['content-security-policy']).toContain('upgrade-insecure-requests');
    expect(proxied.headers['strict-transport-security']).toMatch(/max-age=\d+/);
  });

  it('believes X-Forwarded-Proto only from the proxies TRUST_PROXY names, and HTTPS_HEADERS overrides', async () => {
    const untrusting = await startTestApp({ role: 'api', env: { TRUST_PROXY: 'false' } });
    const always = await startTestApp({ role: 'api', env: { HTTPS_HEADERS: 'always' } });
    try {
      const forged = await request(untrusting.url).get('/health/live').set('X-Forwarded-Proto', 'https').expect(200);
      expect(forged.headers['strict-transport-security']).toBeUndefined();
      expect(forged.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
      const forced = await request(always.url).get('/health/live').expect(200);
      expect(forced.headers['strict-transport-security']).toBeDefined();
      expect(forced.headers['content-security-policy']).toContain('upgrade-insecure-requests');
    } finally {
      await untrusting.close();
      await always.close();
    }
  });

  it('has CORS off by default and allows only the listed origins when CORS_ORIGINS is set', async () => {
    const off = await request(t.url)
      .options('/api/auth/login')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(off.headers['access-control-allow-origin']).toBeUndefined();

    const cors = await startTestApp({
      role: 'api',
      env: { CORS_ORIGINS: 'https://kb.example.com, https://intranet.example.org' },
    });
    try {
      const allowed = await request(cors.url)
        .options('/api/auth/login')
        .set('Origin', 'https://kb.example.com')
        .set('Access-Control-Request-Method', 'POST');
      expect(allowed.headers['access-control-allow-origin']).toBe('https://kb.example.com');
      const denied = await request(cors.url)
        .options('/api/auth/login')
        .set('Origin', 'https://evil.example')
        .set('Access-Control-Request-Method', 'POST');
      expect(denied.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await cors.close();
    }
  });

  it('treats injection strings as plain text on every account input', async () => {
    const member = await createMember(t, admin.token);
    const kb = await seedKnowledgeBase(t, member.user.id);
    const failures: string[] = [];
    const check = (what: string, status: number, allowed: number[]) => {
      if (!allowed.includes(status)) failures.push(`${what} → ${status}`);
    };
    for (const text of NASTY_TEXT) {
      const ip = `192.0.2.${Math.floor(Math.random() * 200) + 1}`;
      const loginEmail = await request(t.url)
        .post('/api/auth/login')
        .set('X-Forwarded-For', ip)
        .send({ email: text, password: 'x-password' });
      check(`login email ${text}`, loginEmail.status, [401, 429]);
      const loginPassword = await request(t.url)
        .post('/api/auth/login')
        .set('X-Forwarded-For', `${ip}1`)
        .send({ email: TEST_ADMIN.email, password: text });
      check(`login password ${text}`, loginPassword.status, [401, 429]);

      const user = await request(t.url)
        .post('/api/users')
        .set(admin.headers)
        .send({ email: text, password: text.padEnd(8, '!'), role: 'member' });
      check(`user email ${text}`, user.status, [400]);
      const asEmail = await request(t.url)
        .post('/api/users')
        .set(admin.headers)
        .send({ email: `u${randomUUID().slice(0, 8)}@zhiku.test`, password: text.padEnd(8, '!'), role: 'member' });
      // A new password that text cleaning would change (U+FEFF) is refused, never altered.
      check(`user password ${text}`, asEmail.status, [hasDebris(text) ? 400 : 201]);

      const key = await request(t.url)
        .post('/api/api-keys')
        .set(member.headers)
        .send({ name: text, knowledgeBaseIds: [kb.id], scopes: ['ask'] });
      // Names that display as something else (bidi overrides, zero-width characters) are refused.
      check(`key name ${text}`, key.status, [invisibleCharacterIn(cleanText(text)) ? 400 : 201]);
      if (key.status === 201 && key.body.name !== text) failures.push(`key name stored as ${key.body.name}`);
      const revoke = await request(t.url)
        .delete(`/api/api-keys/${encodeURIComponent(text)}`)
        .set(member.headers);
      check(`key id ${text}`, revoke.status, [404]);

      const byEmail = await request(t.url)
        .post(`/api/knowledge-bases/${kb.id}/members`)
        .set(member.headers)
        .send({ email: text, permission: 'read' });
      check(`member email ${text}`, byEmail.status, [400]);
      const memberId = await request(t.url)
        .delete(`/api/knowledge-bases/${kb.id}/members/${encodeURIComponent(text)}`)
        .set(member.headers);
      check(`member id ${text}`, memberId.status, [404]);
      const kbRef = await request(t.url)
        .get(`/api/knowledge-bases/${encodeURIComponent(text)}/members`)
        .set(member.headers);
      check(`knowledge base id ${text}`, kbRef.status, [404]);
      const userRef = await request(t.url)
        .patch(`/api/users/${encodeURIComponent(text)}`)
        .set(admin.headers)
        .send({ role: 'member' });
      check(`user id ${text}`, userRef.status, [404]);
      const audit = await request(t.url).get('/api/audit').query({ action: text }).set(admin.headers);
      check(`audit action ${text}`, audit.status, [200, 400]);
      const bearerText = await request(t.url)
        .get('/api/auth/me')
        .set('Authorization', `Bearer zk_${encodeURIComponent(text)}`);
      check(`API key ${text}`, bearerText.status, [401]);
    }
    expect(failures).toEqual([]);
    await tablesIntact();
  }, 120_000);

  it('cleans NUL characters out of JSON text, refuses them in addresses and new passwords, never with a 500', async () => {
    // Free text loses the NUL (PostgreSQL cannot store it, and it means nothing to a reader).
    const login = await request(t.url).post('/api/auth/login').send({ email: NUL_TEXT, password: 'x-password' });
    expect(login.status).toBe(401);
    const key = await request(t.url)
      .post('/api/api-keys')
      .set(admin.headers)
      .send({ name: NUL_TEXT, knowledgeBaseIds: 'all', scopes: ['ask'] })
      .expect(201);
    expect(key.body.name).toBe('beforeafter');
    await request(t.url).delete(`/api/api-keys/${key.body.id}`).set(admin.headers).expect(204);
    // An address is not text: changing it could address something else.
    const audit = await request(t.url).get('/api/audit?action=a%00b').set(admin.headers).expect(400);
    expect(audit.body).toMatchObject({ error: 'NUL_CHARACTER' });
    // A secret is never changed behind its owner's back: a new password with a NUL is refused.
    const user = await request(t.url)
      .post('/api/users')
      .set(admin.headers)
      .send({ email: `nul-${randomUUID().slice(0, 8)}@zhiku.test`, password: `pass-${NUL_TEXT}`, role: 'member' })
      .expect(400);
    expect(user.body.message).toMatch(/password must not contain control characters/);
  });

  it('treats injection strings as plain text in knowledge bases, search, questions and document lists', async () => {
    const kb = await seedKnowledgeBase(t, admin.user.id);
    const failures: string[] = [];
    for (const text of NASTY_TEXT) {
      const created = await request(t.url)
        .post('/api/knowledge-bases')
        .set(admin.headers)
        .send({ name: text, description: text });
      if (created.status >= 500) failures.push(`create knowledge base ${text} → ${created.status}`);
      if (created.status === 201) {
        if (created.body.name !== text.trim()) failures.push(`knowledge base name stored as ${created.body.name}`);
        await request(t.url).delete(`/api/knowledge-bases/${created.body.id}`).set(admin.headers);
      }
      for (const mode of ['hybrid', 'keyword', 'vector']) {
        const search = await request(t.url)
          .post(`/api/knowledge-bases/${kb.id}/search`)
          .set(admin.headers)
          .send({ query: text, mode });
        if (search.status >= 500)
          failures.push(`search ${mode} ${text} → ${search.status} ${JSON.stringify(search.body)}`);
      }
      const ask = await request(t.url)
        .post(`/api/knowledge-bases/${kb.id}/ask`)
        .set(admin.headers)
        .send({ question: text });
      if (ask.status >= 500) failures.push(`ask ${text} → ${ask.status} ${JSON.stringify(ask.body)}`);
      const list = await request(t.url)
        .get(`/api/knowledge-bases/${kb.id}/documents`)
        .query({ q: text })
        .set(admin.headers);
      if (list.status >= 500) failures.push(`document list q=${text} → ${list.status}`);
      const chunk = await request(t.url).patch(`/api/chunks/${kb.chunkId}`).set(admin.headers).send({ content: text });
      if (chunk.status >= 500) failures.push(`chunk content ${text} → ${chunk.status}`);
    }
    expect(failures).toEqual([]);
    await tablesIntact();
  }, 120_000);

  it('stores an upload named with a path-traversal under a generated name inside DATA_DIR', async () => {
    const kb = await seedKnowledgeBase(t, admin.user.id);
    const evilName = `../../../${path.basename(os.tmpdir())}/zhiku-escape-${randomUUID().slice(0, 8)}.txt`;
    const outside = path.resolve(t.config.dataDir, evilName);
    const res = await request(t.url)
      .post(`/api/knowledge-bases/${kb.id}/documents`)
      .set(admin.headers)
      .attach('files', Buffer.from('知库 path traversal test\n'), { filename: evilName, contentType: 'text/plain' });
    expect(res.status).toBeLessThan(500);
    expect(fs.existsSync(outside)).toBe(false);
    if (res.status === 202) {
      const [doc] = res.body.documents;
      const [row] = await db(t).query(`SELECT storage_key, filename FROM documents WHERE id = $1`, [doc.id]);
      expect(row.storage_key).not.toMatch(/\.\.|zhiku-escape/);
      expect(path.resolve(t.config.dataDir, row.storage_key).startsWith(t.config.dataDir + path.sep)).toBe(true);
      const file = await request(t.url).get(`/api/documents/${doc.id}/file`).set(admin.headers).expect(200);
      expect(file.headers['content-disposition']).toMatch(
        /^attachment; filename="[^"\\/\r\n]*"; filename\*=UTF-8''[^\s"]+$/,
      );
    } else {
      expect(res.status).toBe(400);
    }
  });

  it('records deletions of knowledge bases and documents in the audit log, with who and what', async () => {
    const kb = await seedKnowledgeBase(t, admin.user.id);
    await request(t.url).delete(`/api/documents/${kb.documentId}`).set(admin.headers).expect(204);
    await request(t.url).delete(`/api/knowledge-bases/${kb.id}`).set(admin.headers).expect(202);
    const documents = await auditEntries(t, 'document.delete', started);
    expect(documents).toContainEqual(
      expect.objectContaining({
        actor_user_id: admin.user.id,
        target_id: kb.documentId,
        details: expect.objectContaining({ name: '说明书.txt', knowledgeBaseId: kb.id }),
      }),
    );
    const knowledgeBases = await auditEntries(t, 'knowledge_base.delete', started);
    expect(knowledgeBases).toContainEqual(
      expect.objectContaining({
        actor_user_id: admin.user.id,
        actor_email: TEST_ADMIN.email,
        target_id: kb.id,
        at: expect.any(Date),
      }),
    );
  });
});

describe('secrets never reach the logs or later responses (a real zhiku process, its output captured)', () => {
  let fake: FakeOllama;
  let child: ChildProcess;
  let output = '';
  let url: string;
  const queuePrefix = `zhiku-test-${randomUUID().slice(0, 8)}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zhiku-test-logs-'));

  beforeAll(async () => {
    fake = await FakeOllama.start({ port: 0 });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
      cwd: path.resolve(__dirname, '../..'),
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        ROLE: 'api',
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'trace',
        OLLAMA_BASE_URL: fake.url,
        QUEUE_PREFIX: queuePrefix,
        DATA_DIR: dataDir,
        ADMIN_EMAIL: TEST_ADMIN.email,
        ADMIN_PASSWORD: TEST_ADMIN.password,
        MIGRATE_ON_START: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`zhiku exited early:\n${output}`);
      const ok = await fetch(`${url}/health/live`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`zhiku did not start within 90 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await fake?.stop();
    await deleteRedisKeys(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', `${queuePrefix}:*`);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('logs requests without passwords, tokens, API keys or the signing secret', async () => {
    const app = { url } as TestApp;
    const admin = await loginAsAdmin(app);
    const memberPassword = `member-secret-${randomUUID()}`;
    const newPassword = `changed-secret-${randomUUID()}`;
    const wrongPassword = `wrong-secret-${randomUUID()}`;
    const member = await createMember(app, admin.token, undefined, { password: memberPassword });
    await request(url).post('/api/auth/login').send({ email: member.email, password: wrongPassword }).expect(401);
    const changed = await request(url)
      .post('/api/auth/password')
      .set(member.headers)
      .send({ currentPassword: memberPassword, newPassword })
      .expect(200);
    const key = await createApiKey(app, admin.token, { knowledgeBaseIds: 'all', scopes: ['ask', 'write'] });
    // Credentials in odd places: query strings, a failing request, a bad key of the right shape.
    await request(url).get(`/api/knowledge-bases?access_token=${admin.token}&key=${key.secret}`).set(key.headers);
    await request(url).post('/api/knowledge-bases/not-a-kb/search').set(key.headers).send({ query: 'x' });
    await request(url)
      .get('/api/auth/me')
      .set(bearer(`${key.secret}x`))
      .expect(401);
    await request(url).get('/api/auth/me').set(bearer(changed.body.accessToken)).expect(200);

    // Later responses never carry the secret or its hash.
    const keys = await request(url).get('/api/api-keys').set(admin.headers).expect(200);
    const audit = await request(url).get('/api/audit').query({ pageSize: 200 }).set(admin.headers).expect(200);
    const users = await request(url).get('/api/users').set(admin.headers).expect(200);
    for (const body of [keys.text, audit.text, users.text]) {
      expect(body).not.toContain(key.secret.slice(3));
      expect(body).not.toMatch(/\$argon2|"(keyHash|key_hash|passwordHash|password_hash)"/);
      for (const secret of [memberPassword, newPassword, wrongPassword, TEST_ADMIN.password])
        expect(body).not.toContain(secret);
    }

    await new Promise((r) => setTimeout(r, 300));
    expect(output).toContain('"path":"/api/auth/login"');
    const [{ value: jwtSecret }] = await fetchJwtSecret();
    const secrets = {
      adminPassword: TEST_ADMIN.password,
      memberPassword,
      newPassword,
      wrongPassword,
      apiKey: key.secret.slice(3),
      adminToken: admin.token.split('.')[2],
      memberToken: member.token.split('.')[2],
      changedToken: changed.body.accessToken.split('.')[2],
      jwtSecret,
    };
    const leaked = Object.entries(secrets).filter(([, value]) => output.includes(value));
    expect(leaked.map(([name]) => name)).toEqual([]);
  });

  async function fetchJwtSecret(): Promise<{ value: string }[]> {
    const { Client } = await import('pg');
    const pg = new Client({ connectionString: process.env.DATABASE_URL });
    await pg.connect();
    try {
      return (await pg.query(`SELECT value FROM app_secrets WHERE name = 'jwt_secret'`)).rows;
    } finally {
      await pg.end();
    }
  }
});
