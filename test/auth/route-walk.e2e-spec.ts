import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import request from 'supertest';
import { ADMIN_ONLY_KEY, KNOWLEDGE_BASE_ACCESS_KEY, KnowledgeBaseAccessRule } from '../../src/auth/access.decorators';
import { IS_PUBLIC_KEY } from '../../src/common/http/public.decorator';
import {
  AuthSession,
  createApiKey,
  createMember,
  grantMembership,
  loginAsAdmin,
  TestApiKey,
  TestMember,
} from '../support/auth-helpers';
import { startTestApp, TestApp } from '../support/test-app';
import { db, seedKnowledgeBase, SeededKnowledgeBase } from './auth-fixtures';

/**
 * Walks every route of the OpenAPI document (so routes added later are walked too) and proves who is
 * turned away: nobody without credentials (except the public routes), no member without rights, no key
 * scoped to another knowledge base, and no reader or ask-only key on a route that changes things.
 */

/**
 * The only routes that answer without credentials. A new public route must be added here on purpose.
 * GET /ollama is Ollama's health line ("Ollama is running"), which clients probe without a key.
 */
const PUBLIC_ROUTES = [
  'GET /health',
  'GET /health/live',
  'POST /api/auth/login',
  'GET /api/setup',
  'POST /api/setup',
  'GET /ollama',
];

interface Route {
  method: string;
  /** OpenAPI form, e.g. /api/documents/{id} */
  path: string;
  rule?: KnowledgeBaseAccessRule;
  adminOnly: boolean;
  isPublic: boolean;
}

describe('every route in the OpenAPI document is protected', () => {
  let t: TestApp;
  let admin: AuthSession;
  let owner: TestMember;
  let outsider: TestMember;
  let reader: TestMember;
  let kb: SeededKnowledgeBase;
  let otherKb: SeededKnowledgeBase;
  let foreignKey: TestApiKey;
  let askOnlyKey: TestApiKey;
  let adminKeyId: string;
  let routes: Route[];

  beforeAll(async () => {
    t = await startTestApp({ role: 'api' });
    admin = await loginAsAdmin(t);
    owner = await createMember(t, admin.token);
    outsider = await createMember(t, admin.token);
    reader = await createMember(t, admin.token);
    otherKb = await seedKnowledgeBase(t, admin.user.id);
    // An admin's key with every scope, but for the other knowledge base only.
    foreignKey = await createApiKey(t, admin.token, { knowledgeBaseIds: [otherKb.id], scopes: ['ask', 'write'] });
    adminKeyId = foreignKey.id;
    routes = await listRoutes(t);
  });
  // Fresh objects for each walk: a route that wrongly let a call through must not spoil the next walk.
  beforeEach(async () => {
    kb = await seedKnowledgeBase(t, owner.user.id);
    await grantMembership(t, owner.token, kb.id, reader.user.id, 'read');
    askOnlyKey = await createApiKey(t, owner.token, { knowledgeBaseIds: [kb.id], scopes: ['ask'] });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Real ids for path parameters, chosen by the path segment before them. */
  function concretePath(path: string): string {
    return path.replace(/\{(\w+)\}/g, (_m, name: string, offset: number) => {
      const before = path.slice(0, offset).split('/').filter(Boolean).pop();
      if (name === 'mid') return kb.messageId;
      if (name === 'userId') return reader.user.id;
      switch (before) {
        case 'knowledge-bases':
          return kb.id;
        case 'documents':
          return kb.documentId;
        case 'chunks':
          return kb.chunkId;
        case 'conversations':
          return kb.conversationId;
        case 'models':
          return path.startsWith('/v1/') ? kb.slug : kb.id;
        case 'users':
          return reader.user.id;
        case 'api-keys':
          return adminKeyId;
        default:
          return kb.id;
      }
    });
  }

  /** One request; a response that never ends (an event stream let through) counts as status 0. */
  async function call(
    route: Route,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: unknown; text: string }> {
    const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    const req = request(t.url)[method](concretePath(route.path)).set(headers).timeout(5_000);
    // A body naming the knowledge base, for routes that read it from there (OpenAI `model`).
    try {
      return await (method === 'get' || method === 'delete' ? req : req.send({ model: kb.slug }));
    } catch (err) {
      if ((err as { timeout?: number }).timeout)
        return { status: 0, body: 'no answer within 5 s (a stream was opened?)', text: '' };
      throw err;
    }
  }

  const label = (r: Route) => `${r.method} ${r.path}`;
  const namesAnObject = (r: Route) => /\{\w+\}/.test(r.path) || !!r.rule;

  it('finds the routes of every feature in the document', () => {
    const names = routes.map(label);
    expect(names).toEqual(
      expect.arrayContaining([
        ...PUBLIC_ROUTES,
        'GET /api/users',
        'POST /api/api-keys',
        'DELETE /api/knowledge-bases/{id}/members/{userId}',
      ]),
    );
    // Whatever the document lists is a real route (the walk below would otherwise test nothing).
    expect(routes.length).toBeGreaterThan(15);
  });

  it('has exactly the intended public routes', () => {
    expect(
      routes
        .filter((r) => r.isPublic)
        .map(label)
        .sort(),
    ).toEqual([...PUBLIC_ROUTES].sort());
  });

  it('answers 401 without credentials, or with bad ones, on every other route', async () => {
    const failures: string[] = [];
    for (const route of routes.filter((r) => !PUBLIC_ROUTES.includes(label(r)))) {
      const attempts: Record<string, string>[] = [
        {},
        { Authorization: 'Bearer not-a-token' },
        { Authorization: 'Bearer zk_forged' },
      ];
      for (const headers of attempts) {
        const res = await call(route, headers);
        if (res.status !== 401) failures.push(`${label(route)} ${JSON.stringify(headers)} → ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('turns away a member without rights on the knowledge base: 404, or 403 where only admins may go', async () => {
    const failures: string[] = [];
    for (const route of routes.filter((r) => !r.isPublic)) {
      if (namesAnObject(route) || route.adminOnly) {
        const res = await call(route, outsider.headers);
        const expected = route.adminOnly ? [403] : [403, 404];
        if (!expected.includes(res.status))
          failures.push(`${label(route)} → ${res.status} ${JSON.stringify(res.body)}`);
      } else if (route.method === 'GET') {
        // Open to every signed-in user (lists): must not show the knowledge base.
        const res = await call(route, outsider.headers);
        if (res.status >= 500 || res.text.includes(kb.id) || res.text.includes(kb.slug)) {
          failures.push(`${label(route)} → ${res.status} leaks ${kb.slug}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('turns away an API key scoped to another knowledge base, and keeps every key from accounts and admin routes', async () => {
    const failures: string[] = [];
    // POST /mcp carries many tool calls; each decides access itself (test/chat/mcp.e2e-spec.ts covers scoped keys).
    for (const route of routes.filter((r) => !r.isPublic && label(r) !== 'POST /mcp')) {
      const res = await call(route, foreignKey.headers);
      if (namesAnObject(route) || route.adminOnly || route.method !== 'GET') {
        if (![403, 404].includes(res.status))
          failures.push(`${label(route)} → ${res.status} ${JSON.stringify(res.body)}`);
      } else if (res.status < 400 ? res.text.includes(kb.id) || res.text.includes(kb.slug) : res.status !== 403) {
        failures.push(`${label(route)} → ${res.status} (must be 403, or a list without ${kb.slug})`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('lets neither a read member nor an ask-only key upload, edit or delete', async () => {
    const changing = routes.filter((r) => r.rule && r.rule.level !== 'read');
    const failures: string[] = [];
    for (const route of changing) {
      for (const [who, headers] of [
        ['reader', reader.headers],
        ['ask-only key', askOnlyKey.headers],
      ] as const) {
        const res = await call(route, headers);
        if (res.status !== 403) failures.push(`${label(route)} as ${who} → ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
    expect(failures).toEqual([]);
    // Uploads and deletions, wherever they are, are among the routes that need write.
    const changingNames = changing.map(label);
    for (const name of [
      'POST /api/knowledge-bases/{id}/documents',
      'DELETE /api/documents/{id}',
      'DELETE /api/knowledge-bases/{id}',
    ]) {
      if (routes.some((r) => label(r) === name)) expect(changingNames).toContain(name);
    }
    for (const route of routes.filter((r) => r.method === 'DELETE' && r.rule && r.rule.from !== 'conversation')) {
      expect(changingNames).toContain(label(route));
    }
  });

  it('lets the owner and an admin through on every read route (the checks are not too strict either)', async () => {
    const failures: string[] = [];
    for (const route of routes.filter((r) => r.method === 'GET' && r.rule?.level === 'read')) {
      for (const [who, headers] of [
        ['owner', owner.headers],
        ['admin', admin.headers],
      ] as const) {
        const res = await call(route, headers);
        const streaming = res.status === 0 && route.path.endsWith('/events');
        if (!streaming && (res.status < 200 || res.status >= 300))
          failures.push(`${label(route)} as ${who} → ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('still has every object after all refused calls: nothing was changed', async () => {
    for (const route of routes.filter((r) => !r.isPublic && r.method !== 'GET')) {
      await call(route);
      await call(route, outsider.headers);
      await call(route, foreignKey.headers);
      if (route.rule && route.rule.level !== 'read') {
        await call(route, reader.headers);
        await call(route, askOnlyKey.headers);
      }
    }
    const res = await request(t.url).get(`/api/knowledge-bases/${kb.id}/members`).set(owner.headers).expect(200);
    expect(res.body.items).toEqual([expect.objectContaining({ userId: reader.user.id, permission: 'read' })]);
    const [counts] = await db(t).query(
      `SELECT (SELECT count(*) FROM knowledge_bases WHERE id = $1)::int AS kbs,
              (SELECT count(*) FROM documents WHERE id = $2)::int AS documents,
              (SELECT count(*) FROM chunks WHERE id = $3)::int AS chunks,
              (SELECT count(*) FROM conversations WHERE id = $4)::int AS conversations,
              (SELECT count(*) FROM users WHERE id = $5)::int AS users,
              (SELECT count(*) FROM api_keys WHERE id = $6 AND revoked_at IS NULL)::int AS keys`,
      [kb.id, kb.documentId, kb.chunkId, kb.conversationId, reader.user.id, adminKeyId],
    );
    expect(counts).toEqual({ kbs: 1, documents: 1, chunks: 1, conversations: 1, users: 1, keys: 1 });
  });
});

/** The OpenAPI document's operations, with the access metadata of the handler behind each. */
async function listRoutes(t: TestApp): Promise<Route[]> {
  const doc = (await request(t.url).get('/docs-json').expect(200)).body as {
    paths: Record<string, Record<string, unknown>>;
  };
  const metadata = new Map<string, Pick<Route, 'rule' | 'adminOnly' | 'isPublic'>>();
  for (const module of t.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: unknown[]) => unknown) | null;
      if (!controller) continue;
      const prefixes = ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = controller.prototype[name];
        if (typeof handler !== 'function' || name === 'constructor') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        const paths = ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, handler) ?? '');
        const meta = (key: string) => Reflect.getMetadata(key, handler) ?? Reflect.getMetadata(key, controller);
        for (const prefix of prefixes) {
          for (const p of paths) {
            const full = `/${[prefix, p].filter(Boolean).join('/')}`
              .replace(/\/+/g, '/')
              .replace(/\/$/, '')
              .replace(/:(\w+)/g, '{$1}');
            metadata.set(`${RequestMethod[method]} ${full || '/'}`, {
              rule: meta(KNOWLEDGE_BASE_ACCESS_KEY),
              adminOnly: !!meta(ADMIN_ONLY_KEY),
              isPublic: !!meta(IS_PUBLIC_KEY),
            });
          }
        }
      }
    }
  }
  const routes: Route[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const method of Object.keys(operations)) {
      const key = `${method.toUpperCase()} ${path}`;
      const meta = metadata.get(key);
      if (!meta) throw new Error(`${key} is in the OpenAPI document but no controller handler was found for it`);
      routes.push({ method: method.toUpperCase(), path, ...meta });
    }
  }
  return routes;
}
