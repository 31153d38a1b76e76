/**
 * Ask through the MCP door (/mcp, tool `ask`, the SDK's own client) against REST's non-streamed ask
 * (POST …/ask, JSON): MCP tools return whole results, so both are timed from the request to the whole
 * answer. Asks alternate between the doors so that load on the machine falls on both alike.
 *
 * Alone (`npx ts-node --transpile-only bench/support/mcp-door.ts`) it seeds a small knowledge base in its own
 * database and prints the figure; bench:search calls measureMcpDoor on its large one.
 */
import { useBenchDatabase } from './bench-setup';

export interface DoorFigures {
  rest: number[];
  mcp: number[];
}

export async function measureMcpDoor(options: {
  url: string;
  knowledgeBaseId: string;
  headers: Record<string, string>;
  questions: string[];
  warmup?: number;
}): Promise<DoorFigures> {
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
  const client = new Client({ name: 'zhiku-bench', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${options.url}/mcp`), { requestInit: { headers: options.headers } }),
  );
  const restUrl = `${options.url}/api/knowledge-bases/${options.knowledgeBaseId}/ask`;
  const rest = async (question: string): Promise<number> => {
    const started = performance.now();
    const res = await fetch(restUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...options.headers },
      body: JSON.stringify({ question }),
    });
    await res.json();
    if (res.status !== 200) throw new Error(`REST ask answered ${res.status}`);
    return performance.now() - started;
  };
  const mcp = async (question: string): Promise<number> => {
    const started = performance.now();
    const result = await client.callTool({
      name: 'ask',
      arguments: { knowledgeBase: options.knowledgeBaseId, question },
    });
    if (result.isError) throw new Error(`MCP ask failed: ${JSON.stringify(result.content)}`);
    return performance.now() - started;
  };
  const figures: DoorFigures = { rest: [], mcp: [] };
  const warmup = options.warmup ?? 10;
  try {
    for (let i = 0; i < options.questions.length; i++) {
      const q = options.questions[i];
      // Alternate which door goes first, so neither always finds the caches warm.
      const [first, second] = i % 2 ? [mcp, rest] : [rest, mcp];
      const a = await first(q);
      const b = await second(q);
      if (i < warmup) continue;
      figures[first === rest ? 'rest' : 'mcp'].push(a);
      figures[second === rest ? 'rest' : 'mcp'].push(b);
    }
  } finally {
    await client.close();
  }
  return figures;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** One line for the report: p50/p95 of both doors and the difference of the medians. */
export function describeDoorFigures(figures: DoorFigures): string {
  const f = (ms: number) => `${ms.toFixed(1)} ms`;
  const delta = percentile(figures.mcp, 50) - percentile(figures.rest, 50);
  return (
    `ask to the whole answer, ${figures.mcp.length} asks each: REST JSON p50 ${f(percentile(figures.rest, 50))} ` +
    `p95 ${f(percentile(figures.rest, 95))}, MCP tool p50 ${f(percentile(figures.mcp, 50))} ` +
    `p95 ${f(percentile(figures.mcp, 95))}; MCP − REST p50 ${delta >= 0 ? '+' : ''}${f(delta)}   ` +
    `target within 5 ms: ${Math.abs(delta) <= 5 ? 'OK' : 'MISSED'}`
  );
}

async function standalone(): Promise<void> {
  const name = useBenchDatabase('zhiku_bench_mcp');
  const { recreateBenchDatabase } = await import('./bench-setup');
  await recreateBenchDatabase(name);
  const { startTestApp } = await import('../../test/support/test-app');
  const { loginAsAdmin, TEST_ADMIN } = await import('../../test/support/auth-helpers');
  const { createKnowledgeBase, seedDocument } = await import('../../test/support/retrieval-fixtures');
  const app = await startTestApp({
    role: 'api',
    env: { ADMIN_EMAIL: TEST_ADMIN.email, ADMIN_PASSWORD: TEST_ADMIN.password, LOG_LEVEL: 'warn' },
  });
  try {
    const { headers } = await loginAsAdmin(app);
    const kb = await createKnowledgeBase(app, headers, { name: 'MCP door bench' });
    const topics = ['output', 'missing values', 'sequences', 'data frames', 'plots', 'packages', 'loops', 'factors'];
    await seedDocument(
      app,
      kb.id,
      'manual.pdf',
      Array.from({ length: 200 }, (_v, i) => ({
        title: topics[i % topics.length],
        content: `Section ${i} about ${topics[i % topics.length]}: how R handles ${topics[(i * 3) % topics.length]} in practice.`,
        page: 1 + i,
      })),
    );
    const questions = Array.from({ length: 110 }, (_v, i) => `How does R handle ${topics[i % topics.length]}? (${i})`);
    const figures = await measureMcpDoor({ url: app.url, knowledgeBaseId: kb.id, headers, questions });
    console.log(`MCP door: ${describeDoorFigures(figures)}`);
  } finally {
    await app.close();
  }
}

if (require.main === module) {
  standalone().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
