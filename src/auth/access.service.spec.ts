import { AccessRepository } from './access.repository';
import { AccessService } from './access.service';
import { Principal } from './principal';

// permissionOf and visibleKnowledgeBasesCondition are pure; the database-backed paths are covered by test/auth.
const access = new AccessService(undefined as unknown as AccessRepository);
const KB = '11111111-1111-4111-8111-111111111111';
const OTHER_KB = '22222222-2222-4222-8222-222222222222';

const member: Principal = { kind: 'user', userId: 'u1', role: 'member' };
const admin: Principal = { kind: 'user', userId: 'a1', role: 'admin' };
const key = (over: Partial<Principal>): Principal => ({
  kind: 'apiKey',
  userId: 'u1',
  role: 'member',
  apiKeyId: 'k1',
  ...over,
});

describe('AccessService.permissionOf', () => {
  it('gives admins and owners manage, members their membership, strangers nothing', () => {
    expect(access.permissionOf(admin, KB, 'someone', null)).toBe('manage');
    expect(access.permissionOf(member, KB, 'u1', null)).toBe('manage');
    expect(access.permissionOf(member, KB, 'someone', 'write')).toBe('write');
    expect(access.permissionOf(member, KB, 'someone', 'read')).toBe('read');
    expect(access.permissionOf(member, KB, 'someone', null)).toBe('none');
    expect(access.permissionOf(member, KB, null, null)).toBe('none');
  });

  it('narrows a key to its knowledge bases and scopes, and never to manage', () => {
    expect(access.permissionOf(key({ knowledgeBaseIds: [KB], scopes: ['ask'] }), KB, 'u1', null)).toBe('read');
    expect(access.permissionOf(key({ knowledgeBaseIds: [KB], scopes: ['ask', 'write'] }), KB, 'u1', null)).toBe(
      'write',
    );
    expect(access.permissionOf(key({ knowledgeBaseIds: [OTHER_KB], scopes: ['ask', 'write'] }), KB, 'u1', null)).toBe(
      'none',
    );
    expect(access.permissionOf(key({ knowledgeBaseIds: 'all', scopes: ['write'] }), KB, 'someone', 'read')).toBe(
      'read',
    );
    expect(access.permissionOf(key({ knowledgeBaseIds: 'all', scopes: ['ask'], role: 'admin' }), KB, null, null)).toBe(
      'read',
    );
    expect(access.permissionOf(key({ knowledgeBaseIds: 'all', scopes: ['ask'] }), KB, 'someone', null)).toBe('none');
  });
});

describe('AccessService.visibleKnowledgeBasesCondition', () => {
  it('is TRUE for admins, owner-or-member for members, and adds a key’s list', () => {
    expect(access.visibleKnowledgeBasesCondition(admin, 'kb.id')).toEqual({ sql: 'TRUE', params: {} });
    const forMember = access.visibleKnowledgeBasesCondition(member, 'kb.id');
    expect(forMember.sql).toContain('owner_id = :zkAccessUserId');
    expect(forMember.sql).toContain('knowledge_base_members');
    expect(forMember.params).toEqual({ zkAccessUserId: 'u1' });
    const forKey = access.visibleKnowledgeBasesCondition(key({ role: 'admin', knowledgeBaseIds: [KB] }), 'kb.id');
    expect(forKey).toEqual({ sql: 'kb.id = ANY(:zkAccessKeyIds::uuid[])', params: { zkAccessKeyIds: [KB] } });
  });
});
