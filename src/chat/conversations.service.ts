import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { NotFoundError } from '../common/errors/domain-error';
import { ForbiddenError } from '../auth/auth-errors';
import { mayDeleteConversations, mayOpenConversation } from '../auth/conversation-access';
import type { Principal } from '../auth/principal';
import type { ChatMessage } from '../llm/llm.types';
import type { AnswerTimings, AnswerTrace, AnswerUsage, Citation } from './chat.types';
import { Conversation, ConversationSource } from './conversation.entity';
import { Message, MessageStatus } from './message.entity';
import { cleanStrings } from '../common/text/clean-text';

const TITLE_CHARS = 100;

/** One question and its answer, as stored after the answer ends (completely or not). */
export interface TurnRecord {
  conversationId: string;
  /** Set when the conversation does not exist yet. */
  newConversation?: {
    knowledgeBaseId: string;
    userId: string | null;
    apiKeyId: string | null;
    source: ConversationSource;
  };
  question: string;
  answer: {
    id: string;
    content: string;
    status: MessageStatus;
    citations: Citation[];
    usage: AnswerUsage | null;
    timings: AnswerTimings | null;
    trace: AnswerTrace | null;
    error: { code: string; message: string } | null;
  };
}

export interface MessageView {
  id: string;
  role: Message['role'];
  content: string;
  status: MessageStatus;
  citations: Citation[];
  usage: AnswerUsage | null;
  timings: AnswerTimings | null;
  error: { code: string; message: string } | null;
  createdAt: Date;
}

/**
 * Conversations and their messages. A conversation belongs to whoever started it (see
 * auth/conversation-access.ts): others get 404, as if it did not exist.
 */
@Injectable()
export class ConversationsService {
  constructor(
    @InjectRepository(Conversation) private readonly conversations: Repository<Conversation>,
    @InjectRepository(Message) private readonly messages: Repository<Message>,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  /** The conversation if the caller may see it (and, when given, it belongs to that knowledge base). */
  async getVisible(id: string, principal: Principal, knowledgeBaseId?: string): Promise<Conversation> {
    const conversation = await this.conversations.findOneBy({ id });
    const visible =
      conversation &&
      (!knowledgeBaseId || conversation.knowledgeBaseId === knowledgeBaseId) &&
      mayOpenConversation(principal, conversation);
    if (!visible) throw new NotFoundError('Conversation', id);
    return conversation;
  }

  /** GET /api/conversations/:id */
  async getWithMessages(id: string, principal: Principal) {
    const conversation = await this.getVisible(id, principal);
    const messages = await this.messages.find({ where: { conversationId: id }, order: { seq: 'ASC' } });
    return { ...conversation, messages: messages.map(toView) };
  }

  /**
   * GET /api/knowledge-bases/:id/conversations: the caller's conversations, newest first (an API key's:
   * those it started).
   */
  async listForKnowledgeBase(knowledgeBaseId: string, principal: Principal) {
    const items = await this.conversations.find({
      where:
        principal.kind === 'apiKey'
          ? { knowledgeBaseId, apiKeyId: principal.apiKeyId ?? '' }
          : { knowledgeBaseId, userId: principal.userId },
      order: { updatedAt: 'DESC' },
      take: 200,
    });
    return { items, total: items.length };
  }

  /** GET /api/conversations/:id/messages/:mid/trace */
  async getTrace(conversationId: string, messageId: string, principal: Principal) {
    await this.getVisible(conversationId, principal);
    const message = await this.messages
      .createQueryBuilder('m')
      .addSelect('m.trace')
      .where('m.id = :messageId AND m.conversationId = :conversationId', { messageId, conversationId })
      .getOne();
    if (!message || message.role !== 'assistant') throw new NotFoundError('Answer', messageId);
    return { conversationId, messageId, status: message.status, ...(message.trace ?? {}) };
  }

  async delete(id: string, principal: Principal): Promise<void> {
    if (!mayDeleteConversations(principal)) {
      throw new ForbiddenError('Deleting conversations needs an API key with the "write" scope', 'INSUFFICIENT_SCOPE');
    }
    await this.getVisible(id, principal);
    await this.conversations.delete({ id });
  }

  /**
   * The last `turns` complete question/answer pairs, oldest first. Failed or cancelled answers and their
   * questions are skipped: the model should not build on half an answer.
   */
  async history(conversationId: string, turns: number): Promise<ChatMessage[]> {
    if (turns <= 0) return [];
    const recent = await this.messages.find({
      select: { role: true, content: true, status: true },
      where: { conversationId },
      order: { seq: 'DESC' },
      take: turns * 4,
    });
    const pairs: ChatMessage[][] = [];
    recent.reverse();
    for (let i = 0; i + 1 < recent.length; i++) {
      const [question, answer] = [recent[i], recent[i + 1]];
      if (question.role === 'user' && answer.role === 'assistant' && answer.status === 'complete') {
        pairs.push([
          { role: 'user', content: question.content },
          { role: 'assistant', content: answer.content },
        ]);
        i++;
      }
    }
    return pairs.slice(-turns).flat();
  }

  /**
   * Stores a question and its answer in one transaction, creating the conversation if needed. The answer
   * and its trace hold the chat model's own text, which is cleaned here like every other text entering the
   * database (a model can emit U+0000, which PostgreSQL refuses in text and jsonb).
   */
  async saveTurn(turn: TurnRecord): Promise<void> {
    cleanStrings(turn.answer);
    await this.db.transaction(async (em) => {
      if (turn.newConversation) {
        await em.insert(Conversation, {
          id: turn.conversationId,
          ...turn.newConversation,
          title: shortTitle(turn.question),
        });
      } else {
        // First, so its row lock makes concurrent turns of one conversation take turns: a question and its
        // answer get adjacent places, and history() pairs them truly.
        await em.update(Conversation, { id: turn.conversationId }, { updatedAt: new Date() });
      }
      await em.insert(Message, {
        id: randomUUID(),
        conversationId: turn.conversationId,
        role: 'user',
        content: turn.question,
        status: 'complete',
      });
      await em.insert(Message, { conversationId: turn.conversationId, role: 'assistant', ...turn.answer });
    });
  }
}

function shortTitle(question: string): string {
  const flat = question.replace(/\s+/g, ' ').trim();
  return flat.length > TITLE_CHARS ? flat.slice(0, TITLE_CHARS) + '…' : flat;
}

function toView(m: Message): MessageView {
  return {
    id: m.id,
    role: m.role,
    content: m.content,
    status: m.status,
    citations: m.citations,
    usage: m.usage,
    timings: m.timings,
    error: m.error,
    createdAt: m.createdAt,
  };
}
