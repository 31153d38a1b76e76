export const INGESTION_QUEUE = 'ingestion';
