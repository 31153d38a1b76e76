import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/database-options';

describe('schema after migrations (real PostgreSQL)', () => {
  let db: DataSource;
  beforeAll(async () => {
    db = await new DataSource(buildDataSourceOptions(process.env.DATABASE_URL as string)).initialize();
  });
  afterAll(async () => db?.destroy());

  it('has pgvector installed', async () => {
    const [row] = await db.query(`SELECT extversion FROM pg_extension WHERE extname = 'vector'`);
    expect(row.extversion).toMatch(/^0\.[89]|^[1-9]/);
  });

  it('stores chunk embeddings in a halfvec column, with a GIN index for keywords and no table-wide HNSW index', async () => {
    const [column] = await db.query(
      `SELECT udt_name FROM information_schema.columns WHERE table_name = 'chunks' AND column_name = 'embedding'`,
    );
    expect(column.udt_name).toBe('halfvec');
    const indexes: { indexdef: string }[] = await db.query(
      `SELECT indexdef FROM pg_indexes WHERE tablename = 'chunks'`,
    );
    // HNSW indexes are per knowledge base, built by ingestion (test/ingestion/vector-index.e2e-spec.ts).
    expect(indexes.filter((i) => /USING hnsw/.test(i.indexdef) && !/knowledge_base_id = /.test(i.indexdef))).toEqual(
      [],
    );
    expect(indexes.some((i) => /USING gin \(search_vector\)/.test(i.indexdef))).toBe(true);
  });

  it('has no pending migrations', async () => {
    expect(await db.showMigrations()).toBe(false);
  });
});
