import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort } from '../../support/free-port';

const REPO_ROOT = path.resolve(__dirname, '../../..');

export interface WorkerProcess {
  pid: number;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<number | string | null>;
  /** Peak resident memory so far, in MB (VmHWM from /proc). */
  peakRssMb(): number;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Everything the process printed (for failure messages). */
  output(): string;
}

export interface WorkerProcessOptions {
  /** A compiled main.js to run; default: the TypeScript sources through ts-node. */
  entry?: string;
  timeoutMs?: number;
}

/**
 * Starts zhiku as a separate OS process with ROLE=worker, as a deployment runs its workers; resolves
 * once its /health answers.
 */
export async function startWorkerProcess(
  env: Record<string, string>,
  options: WorkerProcessOptions = {},
): Promise<WorkerProcess> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const port = await freePort();
  const args = options.entry ? [options.entry] : ['-r', 'ts-node/register/transpile-only', 'src/main.ts'];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...env,
      ROLE: 'worker',
      PORT: String(port),
      HOST: '127.0.0.1',
      TS_NODE_TRANSPILE_ONLY: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  const exited = new Promise<number | string | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code)),
  );
  // A benchmark or test that dies (process.exit on an error) takes its worker with it, instead of leaving
  // it running, connected to PostgreSQL and Redis, until someone kills it.
  const killWithParent = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killWithParent);
  void exited.then(() => process.off('exit', killWithParent));
  let peak = 0;
  const readPeak = (): number => {
    try {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      peak = Math.max(peak, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
    } catch {
      // gone
    }
    return Math.round(peak);
  };
  const sampler = setInterval(readPeak, 200);
  sampler.unref();
  void exited.then(() => clearInterval(sampler));

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const up = await fetch(`http://127.0.0.1:${port}/health`).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`worker exited before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`worker did not answer /health within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    pid: child.pid!,
    exited,
    peakRssMb: readPeak,
    output: () => output,
    kill: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
