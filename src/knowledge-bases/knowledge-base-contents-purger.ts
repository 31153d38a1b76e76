/**
 * Removes a deleted knowledge base's contents (documents, chunks, stored files, its vector index) and
 * then its row. A port: the documents folder implements it, so knowledge bases never reach into
 * documents. Safe to call again and from several processes; resumes an interrupted purge.
 */
export abstract class KnowledgeBaseContentsPurger {
  abstract purge(knowledgeBaseId: string): Promise<void>;
}
