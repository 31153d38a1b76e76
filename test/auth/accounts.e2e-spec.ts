import { createHmac } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { Client } from 'pg';
import request from 'supertest';
import { preparePostgres } from '../../src/database/migrate';
import {
  bearer,
  createApiKey,
  createMember,
  grantMembership,
  login,
  loginAsAdmin,
  TEST_ADMIN,
  uniqueEmail,
} from '../support/auth-helpers';
import { startTestApp, TestApp } from '../support/test-app';
import { PG_SERVER_URL, TEST_DATABASE_NAME } from '../support/test-env';
import { auditEntries, db, seedKnowledgeBase } from './auth-fixtures';

describe('accounts: sign-in, tokens, users, API keys, members, audit', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof loginAsAdmin>>;
  const started = new Date();

  beforeAll(async () => {
    t = await startTestApp({
      role: 'api',
      env: { ADMIN_EMAIL: TEST_ADMIN.email, ADMIN_PASSWORD: TEST_ADMIN.password },
    });
    admin = await loginAsAdmin(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('sign-in', () => {
    it('signs in with email and password, case-insensitively, and knows who is calling', async () => {
      const res = await request(t.url)
        .post('/api/auth/login')
        .send({ email: `  ${TEST_ADMIN.email.toUpperCase()} `, password: TEST_ADMIN.password })
        .expect(200);
      expect(res.body).toEqual({
        accessToken: expect.any(String),
        expiresIn: t.config.jwtExpiresInSec,
        user: { id: expect.any(String), email: TEST_ADMIN.email, role: 'admin' },
      });
      const me = await request(t.url).get('/api/auth/me').set(bearer(res.body.accessToken)).expect(200);
      expect(me.body).toMatchObject({ id: res.body.user.id, email: TEST_ADMIN.email, role: 'admin' });
      expect(JSON.stringify(me.body)).not.toMatch(/password|argon2/i);
    });

    it('refuses a wrong password or an unknown email with the same 401', async () => {
      const wrong = await request(t.url)
        .post('/api/auth/login')
        .send({ email: TEST_ADMIN.email, password: 'not-the-password' })
        .expect(401);
      const unknown = await request(t.url)
        .post('/api/auth/login')
        .send({ email: 'nobody@zhiku.test', password: 'whatever1' })
        .expect(401);
      expect(wrong.body).toMatchObject({
        statusCode: 401,
        error: 'INVALID_CREDENTIALS',
        message: 'Wrong email or password',
      });
      expect(unknown.body).toEqual(wrong.body);
    });

    it('requires credentials on everything that is not public', async () => {
      const res = await request(t.url).get('/api/auth/me').expect(401);
      expect(res.body).toMatchObject({ statusCode: 401, error: 'UNAUTHENTICATED' });
      await request(t.url).get('/api/auth/me').set('Authorization', 'Basic abc').expect(401);
      await request(t.url).get('/health/live').expect(200);
      expect((await request(t.url).get('/api/setup').expect(200)).body).toEqual({ required: false });
    });

    it('rejects a tampered, foreign, unsigned or expired token', async () => {
      const [header, payload, signature] = admin.token.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const forged = Buffer.from(JSON.stringify({ ...claims, sub: '00000000-0000-0000-0000-000000000000' })).toString(
        'base64url',
      );
      const tampered = `${header}.${forged}.${signature}`;
      const flipped = `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
      const foreignSig = createHmac('sha256', 'some-other-secret-123456')
        .update(`${header}.${payload}`)
        .digest('base64url');
      const foreign = `${header}.${payload}.${foreignSig}`;
      const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
      for (const token of [tampered, flipped, foreign, none, 'garbage', `${admin.token}x`]) {
        const res = await request(t.url).get('/api/auth/me').set(bearer(token)).expect(401);
        expect(res.body.error).toBe('INVALID_TOKEN');
      }

      const jwt = t.app.get(JwtService, { strict: false });
      const expired = jwt.sign({ sub: admin.user.id, ver: claims.ver, exp: Math.floor(Date.now() / 1000) - 5 });
      const res = await request(t.url).get('/api/auth/me').set(bearer(expired)).expect(401);
      expect(res.body).toMatchObject({ error: 'TOKEN_EXPIRED', message: expect.stringMatching(/expired/) });
      // The same secret with a valid expiry does work: the failures above are the tampering, not the harness.
      const valid = jwt.sign({ sub: admin.user.id, ver: claims.ver }, { expiresIn: 60 });
      await request(t.url).get('/api/auth/me').set(bearer(valid)).expect(200);
    });

    it('ends every earlier session when the password changes', async () => {
      const member = await createMember(t, admin.token);
      const second = await login(t, member.email, member.password);
      await request(t.url)
        .post('/api/auth/password')
        .set(member.headers)
        .send({ currentPassword: 'wrong-password', newPassword: 'new-password-456' })
        .expect(400);
      await request(t.url)
        .post('/api/auth/password')
        .set(member.headers)
        .send({ currentPassword: member.password, newPassword: 'short' })
        .expect(400);
      const changed = await request(t.url)
        .post('/api/auth/password')
        .set(member.headers)
        .send({ currentPassword: member.password, newPassword: '新的密码-456' })
        .expect(200);
      for (const old of [member.token, second.token]) {
        const res = await request(t.url).get('/api/auth/me').set(bearer(old)).expect(401);
        expect(res.body.error).toBe('TOKEN_REVOKED');
      }
      await request(t.url).get('/api/auth/me').set(bearer(changed.body.accessToken)).expect(200);
      await request(t.url).post('/api/auth/login').send({ email: member.email, password: member.password }).expect(401);
      await login(t, member.email, '新的密码-456');
    });
  });

  describe('login throttling', () => {
    it('allows 5 failed attempts per email from one address, then 429 there even with the right password', async () => {
      const member = await createMember(t, admin.token);
      for (let i = 0; i < 5; i++) {
        await request(t.url)
          .post('/api/auth/login')
          .set('X-Forwarded-For', '198.51.100.1')
          .send({ email: member.email, password: `wrong-${i}-password` })
          .expect(401);
      }
      const blocked = await request(t.url)
        .post('/api/auth/login')
        .set('X-Forwarded-For', '198.51.100.1')
        .send({ email: member.email, password: member.password })
        .expect(429);
      expect(blocked.body).toMatchObject({ statusCode: 429, error: 'TOO_MANY_LOGIN_ATTEMPTS' });
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(60);
      // The same account from another address, and other accounts from there, are unaffected.
      await request(t.url)
        .post('/api/auth/login')
        .set('X-Forwarded-For', '198.51.100.2')
        .send({ email: member.email, password: member.password })
        .expect(200);
      await request(t.url).post('/api/auth/login').set('X-Forwarded-For', '198.51.100.1').send(TEST_ADMIN).expect(200);
    });

    it('allows 20 failed attempts per address across emails', async () => {
      const ip = '203.0.113.7';
      for (let i = 0; i < 20; i++) {
        await request(t.url)
          .post('/api/auth/login')
          .set('X-Forwarded-For', ip)
          .send({ email: uniqueEmail('guess'), password: 'guess-password' })
          .expect(401);
      }
      const blocked = await request(t.url)
        .post('/api/auth/login')
        .set('X-Forwarded-For', ip)
        .send(TEST_ADMIN)
        .expect(429);
      expect(blocked.body.error).toBe('TOO_MANY_LOGIN_ATTEMPTS');
      await request(t.url).post('/api/auth/login').set('X-Forwarded-For', '203.0.113.8').send(TEST_ADMIN).expect(200);
    });
  });

  describe('users (admin)', () => {
    it('creates, lists, changes and deletes users; members cannot', async () => {
      const email = uniqueEmail('用户');
      const created = await request(t.url)
        .post('/api/users')
        .set(admin.headers)
        .send({ email, password: 'pass-word-1', role: 'member' })
        .expect(201);
      expect(created.body).toMatchObject({ id: expect.any(String), email, role: 'member' });
      expect(JSON.stringify(created.body)).not.toMatch(/password|argon2/i);

      await request(t.url)
        .post('/api/users')
        .set(admin.headers)
        .send({ email: email.toUpperCase(), password: 'pass-word-1', role: 'member' })
        .expect(409);
      const bad = await request(t.url)
        .post('/api/users')
        .set(admin.headers)
        .send({ email: 'not-an-email', password: 'short', role: 'king' })
        .expect(400);
      for (const problem of [
        'email must be an email address',
        'password must be at least 8 characters',
        'role must be admin or member',
      ]) {
        expect(bad.body.message).toContain(problem);
      }

      const list = await request(t.url).get('/api/users').set(admin.headers).expect(200);
      expect(list.body.items.map((u: { email: string }) => u.email)).toEqual(
        expect.arrayContaining([TEST_ADMIN.email, email]),
      );
      expect(JSON.stringify(list.body)).not.toMatch(/passwordHash|argon2/i);

      const member = await login(t, email, 'pass-word-1');
      for (const [method, path] of [
        ['get', '/api/users'],
        ['post', '/api/users'],
        ['patch', `/api/users/${member.user.id}`],
        ['delete', `/api/users/${admin.user.id}`],
        ['get', '/api/audit'],
      ] as const) {
        const agent = request(t.url);
        const res = await agent[method](path)
          .set(member.headers)
          .send({ email: 'x@y.z', password: 'pass-word-2', role: 'admin' });
        expect(res.status).toBe(403);
      }

      const promoted = await request(t.url)
        .patch(`/api/users/${member.user.id}`)
        .set(admin.headers)
        .send({ role: 'admin' })
        .expect(200);
      expect(promoted.body.role).toBe('admin');
      // Promotion ends the member's sessions (they sign in again and are admins then).
      await request(t.url).get('/api/auth/me').set(member.headers).expect(401);
      const asAdmin = await login(t, email, 'pass-word-1');
      await request(t.url).get('/api/users').set(asAdmin.headers).expect(200);

      await request(t.url).delete(`/api/users/${member.user.id}`).set(admin.headers).expect(204);
      await request(t.url).get('/api/auth/me').set(asAdmin.headers).expect(401);
      await request(t.url).delete(`/api/users/${member.user.id}`).set(admin.headers).expect(404);
      await request(t.url).delete('/api/users/not-a-uuid').set(admin.headers).expect(404);
    });

    it('never removes the last administrator or lets one delete themselves', async () => {
      const self = await request(t.url).delete(`/api/users/${admin.user.id}`).set(admin.headers).expect(409);
      expect(self.body.error).toBe('CANNOT_DELETE_SELF');
      const demote = await request(t.url)
        .patch(`/api/users/${admin.user.id}`)
        .set(admin.headers)
        .send({ role: 'member' })
        .expect(409);
      expect(['LAST_ADMIN', 'CANNOT_CHANGE_OWN_ROLE']).toContain(demote.body.error);
    });
  });

  describe('API keys', () => {
    it('shows the secret once, stores only its hash, and the key works until revoked', async () => {
      const member = await createMember(t, admin.token);
      const kb = await seedKnowledgeBase(t, member.user.id);
      const res = await request(t.url)
        .post('/api/api-keys')
        .set(member.headers)
        .send({ name: '内网机器人', knowledgeBaseIds: [kb.id], scopes: ['ask'] })
        .expect(201);
      expect(res.body).toMatchObject({
        id: expect.any(String),
        name: '内网机器人',
        knowledgeBaseIds: [kb.id],
        scopes: ['ask'],
        expiresAt: null,
      });
      const secret: string = res.body.secret;
      expect(secret).toMatch(/^zk_[A-Za-z0-9_-]{43}$/);
      expect(res.body.prefix).toBe(`${secret.slice(0, 10)}…`);

      const [row] = await db(t).query(`SELECT * FROM api_keys WHERE id = $1`, [res.body.id]);
      expect(JSON.stringify(row)).not.toContain(secret.slice(3));
      expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);

      const list = await request(t.url).get('/api/api-keys').set(member.headers).expect(200);
      expect(list.body.items).toHaveLength(1);
      expect(JSON.stringify(list.body)).not.toContain(secret.slice(3));
      expect(JSON.stringify(list.body)).not.toMatch(/key_?hash/i);

      // The key reaches its knowledge base's member list? No: keys never manage. It can list knowledge bases' members of nothing.
      const manage = await request(t.url).get(`/api/knowledge-bases/${kb.id}/members`).set(bearer(secret)).expect(403);
      expect(manage.body.error).toBe('API_KEY_NOT_ALLOWED');
      for (const path of ['/api/users', '/api/api-keys', '/api/auth/me', '/api/audit']) {
        const denied = await request(t.url).get(path).set(bearer(secret)).expect(403);
        expect(denied.body.error).toBe('API_KEY_NOT_ALLOWED');
      }
      await request(t.url)
        .post('/api/api-keys')
        .set(bearer(secret))
        .send({ name: 'escalate', knowledgeBaseIds: 'all', scopes: ['write'] })
        .expect(403);

      const usable = await request(t.url)
        .post(`/api/knowledge-bases/${kb.id}/search`)
        .set(bearer(secret))
        .send({ query: 'hello' });
      expect([200, 201]).toContain(usable.status);
      const [{ last_used_at }] = await db(t).query(`SELECT last_used_at FROM api_keys WHERE id = $1`, [res.body.id]);
      expect(last_used_at).toBeInstanceOf(Date);

      await request(t.url).delete(`/api/api-keys/${res.body.id}`).set(member.headers).expect(204);
      const revoked = await request(t.url)
        .post(`/api/knowledge-bases/${kb.id}/search`)
        .set(bearer(secret))
        .send({ query: 'hello' })
        .expect(401);
      expect(revoked.body).toMatchObject({ error: 'INVALID_API_KEY', message: expect.stringMatching(/revoked/) });
      expect((await request(t.url).get('/api/api-keys').set(member.headers).expect(200)).body.items).toHaveLength(0);
      await request(t.url).delete(`/api/api-keys/${res.body.id}`).set(member.headers).expect(404);

      const audit = await auditEntries(t, 'api_key.create', started);
      expect(audit.some((e) => e.target_id === res.body.id && e.actor_user_id === member.user.id)).toBe(true);
      const revocations = await auditEntries(t, 'api_key.revoke', started);
      expect(revocations.some((e) => e.target_id === res.body.id)).toBe(true);
      expect(JSON.stringify(await db(t).query(`SELECT * FROM audit_log`))).not.toContain(secret.slice(3));
    });

    it('refuses an expired key, a key for a knowledge base the owner cannot see, and bad input', async () => {
      const member = await createMember(t, admin.token);
      const own = await seedKnowledgeBase(t, member.user.id);
      const foreign = await seedKnowledgeBase(t, admin.user.id);
      const key = await createApiKey(t, member.token, { knowledgeBaseIds: [own.id], scopes: ['ask'] });
      await db(t).query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [key.id]);
      const expired = await request(t.url)
        .post(`/api/knowledge-bases/${own.id}/search`)
        .set(key.headers)
        .send({ query: 'x' })
        .expect(401);
      expect(expired.body.error).toBe('API_KEY_EXPIRED');

      await request(t.url)
        .post('/api/api-keys')
        .set(member.headers)
        .send({ name: 'k', knowledgeBaseIds: [foreign.id], scopes: ['ask'] })
        .expect(404);
      for (const body of [
        { name: 'k', knowledgeBaseIds: [], scopes: ['ask'] },
        { name: 'k', knowledgeBaseIds: 'some', scopes: ['ask'] },
        { name: 'k', knowledgeBaseIds: 'all', scopes: [] },
        { name: 'k', knowledgeBaseIds: 'all', scopes: ['admin'] },
        { name: 'k', knowledgeBaseIds: 'all', scopes: ['ask'], expiresAt: 'tomorrow' },
        { name: 'k', knowledgeBaseIds: 'all', scopes: ['ask'], expiresAt: '2001-01-01T00:00:00Z' },
        { name: '', knowledgeBaseIds: 'all', scopes: ['ask'] },
      ]) {
        const res = await request(t.url).post('/api/api-keys').set(member.headers).send(body);
        expect({ body, status: res.status }).toEqual({ body, status: 400 });
      }
      // An unknown-looking key is a plain 401.
      const unknown = await request(t.url).get('/api/api-keys').set(bearer('zk_notarealkey')).expect(401);
      expect(unknown.body.error).toBe('INVALID_API_KEY');
    });

    it('asks over REST and the OpenAI-compatible API with a key, as the README shows, and sees only its knowledge bases', async () => {
      const member = await createMember(t, admin.token);
      const kb = await seedKnowledgeBase(t, member.user.id);
      const hidden = await seedKnowledgeBase(t, member.user.id);
      const key = await createApiKey(t, member.token, { knowledgeBaseIds: [kb.id], scopes: ['ask'] });

      const ask = await request(t.url)
        .post(`/api/knowledge-bases/${kb.id}/ask`)
        .set(key.headers)
        .send({ question: '知库是什么？' })
        .expect(200);
      expect(ask.body).toMatchObject({ answer: expect.any(String), conversationId: expect.any(String) });
      await request(t.url)
        .post(`/api/knowledge-bases/${hidden.id}/ask`)
        .set(key.headers)
        .send({ question: '知库是什么？' })
        .expect(404);

      const models = await request(t.url).get('/v1/models').set(key.headers).expect(200);
      expect(models.body.data.map((m: { id: string }) => m.id)).toEqual([kb.slug]);
      const kbs = await request(t.url).get('/api/knowledge-bases').set(key.headers).expect(200);
      expect(JSON.stringify(kbs.body)).toContain(kb.id);
      expect(JSON.stringify(kbs.body)).not.toContain(hidden.id);

      const completion = await request(t.url)
        .post('/v1/chat/completions')
        .set(key.headers)
        .send({ model: kb.slug, messages: [{ role: 'user', content: '知库是什么？' }] })
        .expect(200);
      expect(completion.body.choices[0].message.content).toEqual(expect.any(String));
      const denied = await request(t.url)
        .post('/v1/chat/completions')
        .set(key.headers)
        .send({ model: hidden.slug, messages: [{ role: 'user', content: 'x' }] })
        .expect(404);
      expect(denied.body.error).toMatchObject({ type: 'not_found_error' });
      // The key may not upload (no write scope) and may not create knowledge bases at all.
      const upload = await request(t.url)
        .post(`/api/knowledge-bases/${kb.id}/documents`)
        .set(key.headers)
        .attach('files', Buffer.from('hello'), 'a.txt')
        .expect(403);
      expect(upload.body.error).toBe('INSUFFICIENT_SCOPE');
      await request(t.url).post('/api/knowledge-bases').set(key.headers).send({ name: 'x' }).expect(403);
    });

    it('limits asks per key per minute (API_KEY_ASK_LIMIT_PER_MIN)', async () => {
      const limited = await startTestApp({ role: 'api', env: { API_KEY_ASK_LIMIT_PER_MIN: '3' } });
      try {
        const session = await loginAsAdmin(limited);
        const kb = await seedKnowledgeBase(limited, session.user.id);
        const key = await createApiKey(limited, session.token, { knowledgeBaseIds: [kb.id], scopes: ['ask'] });
        for (let i = 0; i < 3; i++) {
          const ok = await request(limited.url)
            .post(`/api/knowledge-bases/${kb.id}/search`)
            .set(key.headers)
            .send({ query: 'hello' });
          expect(ok.status).toBeLessThan(300);
        }
        const res = await request(limited.url)
          .post(`/api/knowledge-bases/${kb.id}/search`)
          .set(key.headers)
          .send({ query: 'hello' })
          .expect(429);
        expect(res.body).toMatchObject({
          error: 'RATE_LIMITED',
          message: expect.stringMatching(/3 questions a minute/),
        });
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        // People signed in are not limited by the key's budget.
        const human = await request(limited.url)
          .post(`/api/knowledge-bases/${kb.id}/search`)
          .set(session.headers)
          .send({ query: 'hello' });
        expect(human.status).toBeLessThan(300);
      } finally {
        await limited.close();
      }
    });
  });

  describe('members', () => {
    it('lets the owner grant and take back read or write, by user id or email', async () => {
      const owner = await createMember(t, admin.token);
      const other = await createMember(t, admin.token);
      const kb = await seedKnowledgeBase(t, owner.user.id);

      await request(t.url).get(`/api/knowledge-bases/${kb.id}/members`).set(other.headers).expect(404);
      await grantMembership(t, owner.token, kb.id, other.user.id, 'read');
      // A reader sees the knowledge base but may not manage it.
      const denied = await request(t.url).get(`/api/knowledge-bases/${kb.id}/members`).set(other.headers).expect(403);
      expect(denied.body.error).toBe('FORBIDDEN');

      const byEmail = await request(t.url)
        .post(`/api/knowledge-bases/${kb.id}/members`)
        .set(owner.headers)
        .send({ email: other.email.toUpperCase(), permission: 'write' })
        .expect(201);
      expect(byEmail.body).toMatchObject({ knowledgeBaseId: kb.id, userId: other.user.id, permission: 'write' });
      const members = await request(t.url).get(`/api/knowledge-bases/${kb.id}/members`).set(owner.headers).expect(200);
      expect(members.body.items).toEqual([
        expect.objectContaining({ userId: other.user.id, email: other.email, permission: 'write' }),
      ]);

      await request(t.url)
        .post(`/api/knowledge-bases/${kb.id}/members`)
        .set(owner.headers)
        .send({ permission: 'read' })
        .expect(400);
      await request(t.url)
        .post(`/api/knowledge-bases/${kb.id}/members`)
        .set(owner.headers)
        .send({ userId: other.user.id, permission: 'owner' })
        .expect(400);
      await request(t.url)
        .post(`/api/knowledge-bases/${kb.id}/members`)
        .set(owner.headers)
        .send({ userId: '00000000-0000-4000-8000-000000000000', permission: 'read' })
        .expect(404);

      await request(t.url)
        .delete(`/api/knowledge-bases/${kb.id}/members/${other.user.id}`)
        .set(owner.headers)
        .expect(204);
      await request(t.url)
        .delete(`/api/knowledge-bases/${kb.id}/members/${other.user.id}`)
        .set(owner.headers)
        .expect(404);
      await request(t.url).get(`/api/knowledge-bases/${kb.id}/members`).set(other.headers).expect(404);

      const audit = await auditEntries(t, 'members.delete', started);
      expect(audit).toEqual([expect.objectContaining({ actor_user_id: owner.user.id, target_id: other.user.id })]);
    });
  });

  describe('audit log', () => {
    it('records successful and failed logins with who, when and from where', async () => {
      const since = new Date(Date.now() - 1000);
      await request(t.url).post('/api/auth/login').set('X-Forwarded-For', '192.0.2.44').send(TEST_ADMIN).expect(200);
      await request(t.url)
        .post('/api/auth/login')
        .set('X-Forwarded-For', '192.0.2.44')
        .send({ email: TEST_ADMIN.email, password: 'wrong-one-1' })
        .expect(401);
      const entries = await auditEntries(t, 'auth.login', since);
      const mine = entries.filter((e) => e.ip === '192.0.2.44');
      expect(mine).toEqual([
        expect.objectContaining({
          outcome: 'success',
          actor_user_id: admin.user.id,
          actor_email: TEST_ADMIN.email,
          at: expect.any(Date),
        }),
        expect.objectContaining({ outcome: 'failure', actor_email: TEST_ADMIN.email }),
      ]);
      const api = await request(t.url).get('/api/audit').query({ action: 'auth.login' }).set(admin.headers).expect(200);
      expect(api.body.items.length).toBeGreaterThanOrEqual(2);
      expect(JSON.stringify(api.body)).not.toContain('wrong-one-1');
    });
  });
});

describe('first-run setup (a database without users)', () => {
  const dbName = `${TEST_DATABASE_NAME}_setup`;
  let t: TestApp;

  beforeAll(async () => {
    const pg = new Client({ connectionString: `${PG_SERVER_URL}/postgres` });
    await pg.connect();
    await pg.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await pg.query(`CREATE DATABASE ${dbName}`);
    await pg.end();
    await preparePostgres(`${PG_SERVER_URL}/${dbName}`, { migrate: true });
    t = await startTestApp({
      role: 'api',
      env: { DATABASE_URL: `${PG_SERVER_URL}/${dbName}`, ADMIN_EMAIL: '', ADMIN_PASSWORD: '' },
    });
  });
  afterAll(async () => {
    await t?.close();
    const pg = new Client({ connectionString: `${PG_SERVER_URL}/postgres` });
    await pg.connect();
    await pg.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await pg.end();
  });

  it('refuses everything with 503 SETUP_REQUIRED until the first admin is created, once', async () => {
    expect((await request(t.url).get('/api/setup').expect(200)).body).toEqual({ required: true });
    for (const path of ['/api/auth/me', '/api/users', '/api/api-keys']) {
      const res = await request(t.url).get(path).expect(503);
      expect(res.body).toMatchObject({ statusCode: 503, error: 'SETUP_REQUIRED' });
    }
    await request(t.url).post('/api/auth/login').send({ email: 'a@b.c', password: 'whatever-1' }).expect(401);
    await request(t.url).get('/health/live').expect(200);

    const short = await request(t.url)
      .post('/api/setup')
      .send({ email: 'root@zhiku.test', password: 'short' })
      .expect(400);
    expect(short.body.message).toMatch(/at least 8 characters/);

    // Two browsers racing: exactly one wins.
    const [a, b] = await Promise.all([
      request(t.url).post('/api/setup').send({ email: 'root@zhiku.test', password: 'root-password-1' }),
      request(t.url).post('/api/setup').send({ email: 'other@zhiku.test', password: 'root-password-2' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const winner = a.status === 201 ? a : b;
    expect(winner.body).toMatchObject({ accessToken: expect.any(String), user: { role: 'admin' } });
    expect((a.status === 409 ? a : b).body.error).toBe('SETUP_ALREADY_DONE');

    expect((await request(t.url).get('/api/setup').expect(200)).body).toEqual({ required: false });
    await request(t.url).get('/api/auth/me').set(bearer(winner.body.accessToken)).expect(200);
    await request(t.url).get('/api/users').expect(401);
    await request(t.url).post('/api/setup').send({ email: 'late@zhiku.test', password: 'late-password-1' }).expect(409);
  });

  it('keeps a generated signing secret in the database, so restarts and replicas accept earlier tokens', async () => {
    const session = await request(t.url)
      .post('/api/auth/login')
      .send({ email: 'root@zhiku.test', password: 'root-password-1' });
    const token = session.status === 200 ? session.body.accessToken : (await loginAny(t)).token;
    const replica = await startTestApp({
      role: 'api',
      env: { DATABASE_URL: `${PG_SERVER_URL}/${dbName}`, ADMIN_EMAIL: '', ADMIN_PASSWORD: '' },
    });
    try {
      await request(replica.url).get('/api/auth/me').set(bearer(token)).expect(200);
      const [{ count }] = await db(replica).query(
        `SELECT count(*)::int AS count FROM app_secrets WHERE name = 'jwt_secret'`,
      );
      expect(count).toBe(1);
    } finally {
      await replica.close();
    }
  });
});

async function loginAny(t: TestApp): Promise<{ token: string }> {
  const res = await request(t.url)
    .post('/api/auth/login')
    .send({ email: 'other@zhiku.test', password: 'root-password-2' })
    .expect(200);
  return { token: res.body.accessToken };
}
