const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a UUID in its usual text form: ids from URLs are checked before PostgreSQL sees them (or SQL inlines them). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
