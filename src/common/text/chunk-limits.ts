/**
 * How big a chunk may be and what of it the embedding model sees: shared by the splitter, chunk edits
 * and the knowledge-base settings check, so all three agree.
 */
export interface SplitOptions {
  /** Target chunk size in estimated tokens. */
  chunkSize: number;
  /** Tokens of the previous chunk repeated at the start of the next one (same section only). */
  chunkOverlap: number;
  /** The embedding model's context length; no chunk (with its title) may exceed it. */
  contextLength?: number | null;
}

/** Share of the model's context a chunk may fill: token estimates are rough, titles come on top. */
const CONTEXT_SAFETY = 0.8;

/** The chunk size actually used: within the model's context, with overlap below half a chunk. */
export function effectiveSplitOptions(options: SplitOptions): { size: number; overlap: number } {
  let size = Math.max(16, Math.floor(options.chunkSize));
  if (options.contextLength && options.contextLength > 0)
    size = Math.min(size, Math.floor(options.contextLength * CONTEXT_SAFETY));
  const overlap = Math.max(0, Math.min(Math.floor(options.chunkOverlap), Math.floor(size / 2)));
  return { size, overlap };
}

/** What is sent to the embedding model for a chunk: its heading trail gives the passage its context. */
export function embeddingInput(chunk: { title: string; content: string }): string {
  return chunk.title ? `${chunk.title}\n\n${chunk.content}` : chunk.content;
}
