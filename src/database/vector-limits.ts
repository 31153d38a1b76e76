/**
 * Embeddings are stored as halfvec, whose HNSW index takes at most this many dimensions; knowledge bases
 * of larger models are refused at creation, so every stored vector can be indexed.
 */
export const MAX_EMBEDDING_DIMENSION = 4_000;
