import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FakeOllama } from '../../fake-ollama/fake-ollama.server';
import { deleteRedisKeys, startTestApp, TestApp } from '../../support/test-app';
import { startWorkerProcess, WorkerProcess } from './worker-process';

export interface SplitDeployment {
  fake: FakeOllama;
  /** ROLE=api, in this process. */
  api: TestApp;
  /** The current worker (ROLE=worker, its own OS process). */
  worker: WorkerProcess;
  /** Starts another worker process with the same settings (e.g. after killing one). */
  startWorker(): Promise<WorkerProcess>;
  close(): Promise<void>;
}

/**
 * An API and a worker in separate processes sharing one database, Redis prefix, data folder and fake
 * Ollama, as a deployment with ROLE=api and ROLE=worker machines runs them.
 */
export async function startSplitDeployment(
  label: string,
  workerSettings: Record<string, string> = {},
  workerEntry?: string,
): Promise<SplitDeployment> {
  const fake = await FakeOllama.start({ port: 0 });
  const queuePrefix = `zhiku-${label}-${randomUUID().slice(0, 8)}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `zhiku-${label}-`));
  const env = {
    DATABASE_URL: process.env.DATABASE_URL!,
    REDIS_URL: process.env.REDIS_URL!,
    QUEUE_PREFIX: queuePrefix,
    DATA_DIR: dataDir,
    OLLAMA_BASE_URL: fake.url,
    LOG_LEVEL: 'warn',
    ...workerSettings,
  };
  const startWorker = (): Promise<WorkerProcess> => startWorkerProcess(env, { entry: workerEntry });
  let worker: WorkerProcess | undefined;
  let api: TestApp | undefined;
  const close = async (): Promise<void> => {
    await worker?.kill('SIGKILL');
    await api?.close();
    await fake.stop();
    await deleteRedisKeys(env.REDIS_URL, `${queuePrefix}:*`);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    worker = await startWorker();
    api = await startTestApp({ role: 'api', fake, queuePrefix, dataDir });
  } catch (err) {
    await close();
    throw err;
  }
  const deployment: SplitDeployment = {
    fake,
    api,
    worker,
    startWorker: async () => {
      worker = await startWorker();
      deployment.worker = worker;
      return worker;
    },
    close,
  };
  return deployment;
}
