import { randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { AppSecretRepository } from './app-secret.repository';

/**
 * JWT_SECRET when set; otherwise a secret generated on first start and kept in the database, so
 * every API replica (and every restart) signs and verifies with the same one.
 */
export async function loadJwtSecret(config: AppConfig, secrets: AppSecretRepository): Promise<string> {
  if (config.jwtSecret) return config.jwtSecret;
  return secrets.getOrCreate('jwt_secret', () => randomBytes(48).toString('base64url'));
}
