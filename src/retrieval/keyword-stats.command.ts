/**
 * `npm run keyword-stats:check [-- --repair]`: compares every knowledge base's BM25 statistics with its
 * chunks and prints the ones that differ; with --repair, rebuilds those from the chunks. Exits 1 when a
 * difference remains. Needs only DATABASE_URL.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../database/database-options';
import { KeywordStatisticsRepository } from './keyword-statistics.repository';

async function main(): Promise<number> {
  const repair = process.argv.includes('--repair');
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/zhiku)');
    return 2;
  }
  const db = await new DataSource(buildDataSourceOptions(url)).initialize();
  try {
    const stats = new KeywordStatisticsRepository(db);
    const drift = await stats.drift();
    if (!drift.length) {
      console.log(`keyword statistics exact for all ${(await stats.knowledgeBaseIds()).length} knowledge bases`);
      return 0;
    }
    for (const d of drift) {
      console.log(
        `${d.knowledgeBaseId}: chunks ${d.storedChunks} (expected ${d.expectedChunks}), length ${d.storedLength} ` +
          `(expected ${d.expectedLength}), ${d.wrongLexemes} lexemes with a wrong document frequency`,
      );
    }
    if (!repair) {
      console.log(`${drift.length} knowledge bases differ; run with --repair to rebuild them`);
      return 1;
    }
    for (const d of drift) await stats.rebuild(d.knowledgeBaseId);
    const left = await stats.drift();
    console.log(left.length ? `${left.length} still differ after repair` : `repaired ${drift.length}`);
    return left.length ? 1 : 0;
  } finally {
    await db.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
