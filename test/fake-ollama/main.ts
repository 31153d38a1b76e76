/**
 * Runs the fake Ollama on its own, so the service can be started and clicked through without Ollama:
 *   ts-node test/fake-ollama/main.ts [--port 11434] [--host 127.0.0.1] [--dimension 1024]
 *                                    [--token-delay-ms 20] [--embed-latency-ms 0] [--latency-ms 0]
 * The port can also come from FAKE_OLLAMA_PORT. Switches can be changed while it runs: POST /__fake/config.
 */
import { FakeOllama, type FakeOllamaOptions } from './fake-ollama.server';

function parseArgs(argv: string[]): FakeOllamaOptions {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}"`);
    const [key, inline] = arg.slice(2).split('=', 2);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`--${key} needs a value`);
    values.set(key, value);
  }
  const number = (key: string, fallback?: number): number | undefined => {
    const raw = values.get(key);
    values.delete(key);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${key} must be a whole number, got "${raw}"`);
    return n;
  };
  const envPort = process.env.FAKE_OLLAMA_PORT ? Number(process.env.FAKE_OLLAMA_PORT) : undefined;
  const options: FakeOllamaOptions = {
    port: number('port', envPort ?? 11434),
    host: values.get('host') ?? '127.0.0.1',
    embeddingDimension: number('dimension') ?? null,
    tokenDelayMs: number('token-delay-ms', 15),
    embedLatencyMs: number('embed-latency-ms', 0),
    latencyMs: number('latency-ms', 0),
  };
  values.delete('host');
  if (values.size) throw new Error(`unknown option(s): ${[...values.keys()].map((k) => '--' + k).join(', ')}`);
  return options;
}

async function main(): Promise<void> {
  let options: FakeOllamaOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`fake-ollama: ${(err as Error).message}`);
    process.exit(2);
  }
  const fake = await FakeOllama.start(options);
  console.log(`Fake Ollama listening on ${fake.url} (models: bge-m3, all-minilm, qwen2.5:7b, qwen3:0.6b)`);
  console.log(`Switches: POST ${fake.url}/__fake/config  ·  requests seen: GET ${fake.url}/__fake/requests`);
  const shutdown = (): void => void fake.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error(`fake-ollama: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
