import { spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** Runs the real entry point (src/main.ts) as a user would, and returns its exit code and output. */
function runService(env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`service did not exit within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('start-up failures are short and name the problem', () => {
  it('exits non-zero with one line per bad variable', async () => {
    const { code, output } = await runService({ PORT: 'eighty', ROLE: 'boss' });
    expect(code).not.toBe(0);
    expect(output).toMatch(/DATABASE_URL is required/);
    expect(output).toMatch(/PORT must be a whole number/);
    expect(output).toMatch(/ROLE must be one of api, worker, all/);
    expect(output).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('exits non-zero naming DATABASE_URL when PostgreSQL does not answer', async () => {
    const port = await closedPort();
    const { code, output } = await runService({ DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/zhiku` });
    expect(code).not.toBe(0);
    expect(output).toMatch(
      /Cannot connect to PostgreSQL at DATABASE_URL=postgres:\/\/postgres@127\.0\.0\.1:\d+\/zhiku/,
    );
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('exits non-zero naming REDIS_URL when Redis does not answer', async () => {
    const port = await closedPort();
    const { code, output } = await runService({
      DATABASE_URL: process.env.DATABASE_URL as string,
      REDIS_URL: `redis://127.0.0.1:${port}`,
    });
    expect(code).not.toBe(0);
    expect(output).toMatch(/Cannot connect to Redis at REDIS_URL=redis:\/\/127\.0\.0\.1:\d+/);
    expect(output).not.toMatch(/\n\s+at /);
  });
});
