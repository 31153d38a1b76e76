import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Accounts: users, per-knowledge-base membership, API keys (only a SHA-256 of the secret is kept),
 * the audit log, and app_secrets for a generated JWT signing secret that every API replica shares.
 */
export class Accounts1795297628089 implements MigrationInterface {
  name = 'Accounts1795297628089';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email varchar(320) NOT NULL,
        password_hash text NOT NULL,
        role varchar(16) NOT NULL CHECK (role IN ('admin','member')),
        token_version int NOT NULL DEFAULT 0,
        last_login_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Emails are stored lower-cased; the index makes that a rule the database keeps.
    await q.query(`CREATE UNIQUE INDEX users_email_key ON users (lower(email))`);

    await q.query(`
      ALTER TABLE knowledge_bases
        ADD CONSTRAINT knowledge_bases_owner_fk FOREIGN KEY (owner_id) REFERENCES users(id) ON DELETE SET NULL`);
    await q.query(`CREATE INDEX knowledge_bases_owner_idx ON knowledge_bases (owner_id)`);

    await q.query(`
      CREATE TABLE knowledge_base_members (
        knowledge_base_id uuid NOT NULL REFERENCES knowledge_bases(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        permission varchar(8) NOT NULL CHECK (permission IN ('read','write')),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (knowledge_base_id, user_id)
      )`);
    await q.query(`CREATE INDEX knowledge_base_members_user_idx ON knowledge_base_members (user_id)`);

    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name varchar(200) NOT NULL,
        prefix varchar(16) NOT NULL,
        key_hash char(64) NOT NULL UNIQUE,
        knowledge_base_ids uuid[],
        scopes text[] NOT NULL,
        expires_at timestamptz,
        last_used_at timestamptz,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX api_keys_user_idx ON api_keys (user_id)`);

    await q.query(`
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        action varchar(64) NOT NULL,
        outcome varchar(16) NOT NULL DEFAULT 'success',
        actor_user_id uuid,
        actor_email varchar(320),
        actor_api_key_id uuid,
        target_type varchar(64),
        target_id varchar(200),
        ip varchar(64),
        details jsonb NOT NULL DEFAULT '{}'::jsonb
      )`);
    await q.query(`CREATE INDEX audit_log_at_idx ON audit_log (at DESC)`);
    await q.query(`CREATE INDEX audit_log_actor_idx ON audit_log (actor_user_id, at DESC)`);

    await q.query(`
      CREATE TABLE app_secrets (
        name varchar(64) PRIMARY KEY,
        value text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS app_secrets`);
    await q.query(`DROP TABLE IF EXISTS audit_log`);
    await q.query(`DROP TABLE IF EXISTS api_keys`);
    await q.query(`DROP TABLE IF EXISTS knowledge_base_members`);
    await q.query(`ALTER TABLE knowledge_bases DROP CONSTRAINT IF EXISTS knowledge_bases_owner_fk`);
    await q.query(`DROP INDEX IF EXISTS knowledge_bases_owner_idx`);
    await q.query(`DROP TABLE IF EXISTS users`);
  }
}
