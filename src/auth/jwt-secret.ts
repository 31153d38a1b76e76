import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';

/**
 * JWT_SECRET when set; otherwise a secret generated on first start and kept in the database, so
 * every API replica (and every restart) signs and verifies with the same one.
 */
export async function loadJwtSecret(config: AppConfig, db: DataSource): Promise<string> {
  if (config.jwtSecret) return config.jwtSecret;
  await db.query(`INSERT INTO app_secrets (name, value) VALUES ('jwt_secret', $1) ON CONFLICT (name) DO NOTHING`, [
    randomBytes(48).toString('base64url'),
  ]);
  const [row] = await db.query(`SELECT value FROM app_secrets WHERE name = 'jwt_secret'`);
  return row.value as string;
}
