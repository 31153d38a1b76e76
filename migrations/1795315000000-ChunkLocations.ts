import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Chunks of formats without PDF pages say where they are: slides or chapters (`{"kind":"slide","from":3,"to":4}`)
 * or a sheet's rows (`{"kind":"rows","sheet":"Budget","from":2,"to":41}`), for citations. PDF chunks keep
 * page_from/page_to and have no location.
 */
export class ChunkLocations1795315000000 implements MigrationInterface {
  name = 'ChunkLocations1795315000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE chunks ADD COLUMN location jsonb`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE chunks DROP COLUMN location`);
  }
}
