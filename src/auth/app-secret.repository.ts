import { DataSource } from 'typeorm';

/** The `app_secrets` table: secrets the app generates once and every replica shares. */
export class AppSecretRepository {
  constructor(private readonly db: DataSource) {}

  /** The stored secret `name`; `generate()`'s value is stored first when there is none (the first writer wins). */
  async getOrCreate(name: string, generate: () => string): Promise<string> {
    await this.db.query(`INSERT INTO app_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [
      name,
      generate(),
    ]);
    const [row] = await this.db.query(`SELECT value FROM app_secrets WHERE name = $1`, [name]);
    return row.value as string;
  }
}
