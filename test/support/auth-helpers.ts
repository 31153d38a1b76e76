import request from 'supertest';
import type { TestApp } from './test-app';

/**
 * Credentials for e2e tests. Every route except /health, login and setup needs them (the global
 * AccessGuard), so a test signs in first:
 *
 *   const { headers } = await loginAsAdmin(t);
 *   await request(t.url).get('/api/knowledge-bases').set(headers).expect(200);
 */
export const TEST_ADMIN = { email: 'admin@zhiku.test', password: 'admin-password-123' } as const;

export interface AuthSession {
  token: string;
  /** `{ Authorization: 'Bearer …' }` for supertest's `.set(headers)` or fetch. */
  headers: Record<string, string>;
  user: { id: string; email: string; role: 'admin' | 'member' };
}

export interface TestMember extends AuthSession {
  email: string;
  password: string;
}

export interface TestApiKey {
  id: string;
  secret: string;
  headers: Record<string, string>;
}

export function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

let counter = 0;
/** A fresh email for each call (tests in one run share the database). */
export function uniqueEmail(label = 'member'): string {
  counter += 1;
  return `${label}-${Date.now().toString(36)}-${process.pid}-${counter}@zhiku.test`;
}

/**
 * Signs in as the test administrator (TEST_ADMIN). Works whether or not the app was started with
 * ADMIN_EMAIL/ADMIN_PASSWORD: on a database without users it performs the first-run setup.
 */
export async function loginAsAdmin(t: TestApp): Promise<AuthSession> {
  const setup = await request(t.url).get('/api/setup');
  if (setup.status === 200 && setup.body.required) {
    const created = await request(t.url).post('/api/setup').send(TEST_ADMIN);
    if (created.status === 201) return toSession(created.body);
    // Another app of the same run created the first user meanwhile: fall through to login.
  }
  return login(t, TEST_ADMIN.email, TEST_ADMIN.password);
}

/** POST /api/auth/login; throws with the response when it is not 200. */
export async function login(t: TestApp, email: string, password: string): Promise<AuthSession> {
  const res = await request(t.url).post('/api/auth/login').send({ email, password });
  if (res.status !== 200) {
    throw new Error(
      `login as ${email} failed: ${res.status} ${JSON.stringify(res.body)} (is the first user someone other than ${TEST_ADMIN.email}?)`,
    );
  }
  return toSession(res.body);
}

/** Creates a member (or admin) through POST /api/users as the admin and signs them in. */
export async function createMember(
  t: TestApp,
  adminToken: string,
  email: string = uniqueEmail(),
  options: { password?: string; role?: 'admin' | 'member' } = {},
): Promise<TestMember> {
  const password = options.password ?? 'member-password-123';
  const res = await request(t.url)
    .post('/api/users')
    .set(bearer(adminToken))
    .send({ email, password, role: options.role ?? 'member' });
  if (res.status !== 201) throw new Error(`creating user ${email} failed: ${res.status} ${JSON.stringify(res.body)}`);
  const session = await login(t, email, password);
  return { ...session, email: session.user.email, password };
}

/** Gives a user read or write on a knowledge base (as its owner or an admin). */
export async function grantMembership(
  t: TestApp,
  token: string,
  knowledgeBaseId: string,
  userId: string,
  permission: 'read' | 'write',
): Promise<void> {
  const res = await request(t.url)
    .post(`/api/knowledge-bases/${knowledgeBaseId}/members`)
    .set(bearer(token))
    .send({ userId, permission });
  if (res.status !== 201) throw new Error(`granting ${permission} failed: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Creates an API key for the token's user; the secret is only in this response. */
export async function createApiKey(
  t: TestApp,
  token: string,
  options: { knowledgeBaseIds: string[] | 'all'; scopes: ('ask' | 'write')[]; name?: string; expiresAt?: string },
): Promise<TestApiKey> {
  const res = await request(t.url)
    .post('/api/api-keys')
    .set(bearer(token))
    .send({ name: options.name ?? 'test key', ...options });
  if (res.status !== 201) throw new Error(`creating an API key failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, secret: res.body.secret, headers: bearer(res.body.secret) };
}

function toSession(body: { accessToken: string; user: AuthSession['user'] }): AuthSession {
  return { token: body.accessToken, headers: bearer(body.accessToken), user: body.user };
}
