import { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * Turns a raw row (snake_case columns, e.g. from `UPDATE … RETURNING *`) into the entity TypeORM would
 * have loaded, value transformers included, so hand-written SQL and finds hand out the same objects.
 */
export function rowToEntity<T extends ObjectLiteral>(db: DataSource, target: EntityTarget<T>, row: ObjectLiteral): T {
  const metadata = db.getMetadata(target);
  const entity = metadata.create() as T;
  for (const column of metadata.columns) {
    if (!(column.databaseName in row)) continue;
    let value: unknown = row[column.databaseName];
    const transformers = column.transformer ? [column.transformer].flat() : [];
    for (const transformer of transformers.reverse()) value = transformer.from(value);
    column.setEntityValue(entity, value);
  }
  return entity;
}
