import { z } from 'zod';
import { MAX_QUERY_CHARS, MAX_TOP_K, SEARCH_MODES } from '../../retrieval/retrieval.types';

/**
 * The MCP tools' arguments as zod shapes (the SDK validates them and publishes them as JSON Schema in
 * tools/list). Descriptions are written for the agent that reads them; messages for the person it reports to.
 */
const knowledgeBase = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? 'knowledgeBase is required: a knowledge base id, slug or name from list_knowledge_bases'
        : 'knowledgeBase must be text: a knowledge base id, slug or name',
  })
  .trim()
  .min(1, { error: 'knowledgeBase must not be empty: give an id, slug or name from list_knowledge_bases' })
  .max(200, { error: 'knowledgeBase is at most 200 characters' })
  .describe('The knowledge base: its id, slug or name, as list_knowledge_bases shows them.');

const text = (field: string, description: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? `${field} is required` : `${field} must be text`) })
    .refine((value) => value.trim().length > 0, { error: `${field} must not be empty` })
    .refine((value) => value.length <= MAX_QUERY_CHARS, { error: `${field} is at most ${MAX_QUERY_CHARS} characters` })
    .describe(description);

const mode = z
  .enum(SEARCH_MODES, { error: `mode must be one of ${SEARCH_MODES.join(', ')}` })
  .optional()
  .describe(
    'hybrid (default: meaning and exact words together), vector (meaning only, good for paraphrases) or ' +
      'keyword (exact words, good for names, identifiers and error messages).',
  );

const topK = (what: string) =>
  z
    .number({ error: 'topK must be a number' })
    .int({ error: 'topK must be a whole number' })
    .min(1, { error: 'topK must be at least 1' })
    .max(MAX_TOP_K, { error: `topK must be at most ${MAX_TOP_K}` })
    .optional()
    .describe(`How many ${what}, 1 to ${MAX_TOP_K} (default: the knowledge base's setting, usually 5).`);

export const listKnowledgeBasesInput = {};

export const searchInput = {
  knowledgeBase,
  query: text('query', 'What to look for, in any language (Chinese works as well as English).'),
  mode,
  topK: topK('passages to return'),
};

export const askInput = {
  knowledgeBase,
  question: text('question', 'The question, in any language; the answer comes in the same language.'),
  conversationId: z
    .uuid({ error: 'conversationId must be the conversationId an earlier ask returned (a UUID)' })
    .optional()
    .describe(
      'Continue a conversation: the conversationId an earlier ask returned. Follow-up questions ("and on Windows?") ' +
        'are then understood in context.',
    ),
  mode,
  topK: topK('passages to give the model'),
};

export type SearchToolInput = z.infer<z.ZodObject<typeof searchInput>>;
export type AskToolInput = z.infer<z.ZodObject<typeof askInput>>;
