import { BullModule, Processor } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { AppConfig, JobProducer, QueueWorkerHost } from '@app/platform';
import { createTestApi, TestApi } from './test-app';

export const E2E_QUEUE = 'e2e-queue';

export interface E2eWork {
  mode: 'ok' | 'flaky' | 'fail' | 'unrecoverable' | 'slow' | 'slowOnce';
  ms?: number;
  value: number;
  failTimes?: number;
}

declare module '@app/platform/queue/jobs' {
  interface JobMap {
    'e2e-queue': { 'e2e.work': E2eWork };
  }
}

/** Attempt timestamps by job id, recorded by the processor. */
export const attempts = new Map<string, number[]>();

// Short lock and stall check so that a job abandoned by a force-closed worker comes back within seconds.
@Processor(E2E_QUEUE, { lockDuration: 2_000, stalledInterval: 1_000 })
class E2eProcessor extends QueueWorkerHost {
  constructor(config: AppConfig) {
    super(config);
  }

  async process(job: Job<E2eWork>): Promise<{ doubled: number }> {
    const seen = attempts.get(job.id!) ?? [];
    seen.push(Date.now());
    attempts.set(job.id!, seen);
    await new Promise((r) => setTimeout(r, 5));
    switch (job.data.mode) {
      case 'ok':
        return { doubled: job.data.value * 2 };
      case 'flaky':
        if (seen.length <= (job.data.failTimes ?? 1)) throw new Error(`transient failure #${seen.length}`);
        return { doubled: job.data.value * 2 };
      case 'fail':
        throw new Error(`boom: value ${job.data.value} cannot be processed`);
      case 'unrecoverable':
        throw new UnrecoverableError('bad input: will never work');
      case 'slow':
        await new Promise((r) => setTimeout(r, job.data.ms ?? 500));
        return { doubled: job.data.value * 2 };
      case 'slowOnce':
        if (seen.length === 1) await new Promise((r) => setTimeout(r, job.data.ms ?? 500));
        return { doubled: job.data.value * 2 };
    }
  }
}

@Module({ imports: [BullModule.registerQueue({ name: E2E_QUEUE })], providers: [E2eProcessor] })
class E2eQueueModule {}

export async function bootQueueApp(
  env: Record<string, string | undefined>,
  options: { obliterate: boolean } = { obliterate: true },
): Promise<TestApi> {
  const api = await createTestApi({ env, extraModules: [E2eQueueModule] });
  if (options.obliterate) await api.app.get(JobProducer).queue(E2E_QUEUE).obliterate({ force: true });
  return api;
}

async function waitUntil<T>(fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function finishedState(api: TestApi, id: string): Promise<Job> {
  const queue = api.app.get(JobProducer).queue(E2E_QUEUE);
  // Read the state first and the job after: a job read before it finished keeps its old
  // snapshot (no return value) even when getState() then says "completed".
  return waitUntil(async () => {
    const state = await queue.getJobState(id);
    if (state !== 'completed' && state !== 'failed') return undefined;
    return (await queue.getJob(id)) ?? undefined;
  });
}

/** The same assertions for both backends: completion, retry with backoff, stored failure reasons. */
export function describeQueueBackend(backend: 'redis' | 'postgres', env: () => Record<string, string | undefined>) {
  describe(`queue on ${backend}`, () => {
    let api: TestApi;
    let producer: JobProducer;
    let vars: Record<string, string | undefined>;

    beforeAll(async () => {
      vars = env();
      api = await bootQueueApp(vars);
      producer = api.app.get(JobProducer);
    });
    afterAll(async () => {
      await api.close();
    });

    const waitActive = async (queueOwner: TestApi, id: string) => {
      const queue = queueOwner.app.get(JobProducer).queue(E2E_QUEUE);
      await waitUntil(async () => ((await (await queue.getJob(id))?.getState()) === 'active' ? true : undefined));
    };

    it(`reports the ${backend} backend in /health/detailed`, async () => {
      const res = await api.inject('/health/detailed');
      expect(res.statusCode).toBe(200);
      expect(res.json().info.queue).toMatchObject({ backend, status: 'up' });
      expect(res.json().queueBackend).toBe(backend);
    });

    it('runs an enqueued job to completion and stores its result', async () => {
      const job = await producer.add(E2E_QUEUE, 'e2e.work', { mode: 'ok', value: 21 });
      const done = await finishedState(api, job.id!);
      expect(await done.getState()).toBe('completed');
      expect(done.returnvalue).toEqual({ doubled: 42 });
      expect(done.attemptsMade).toBe(1);
    });

    it('retries a failing job with exponential backoff until it succeeds', async () => {
      const job = await producer.add(
        E2E_QUEUE,
        'e2e.work',
        { mode: 'flaky', value: 5, failTimes: 2 },
        { attempts: 3, backoff: { type: 'exponential', delay: 200 } },
      );
      const done = await finishedState(api, job.id!);
      expect(await done.getState()).toBe('completed');
      expect(done.returnvalue).toEqual({ doubled: 10 });
      const times = attempts.get(job.id!)!;
      expect(times).toHaveLength(3);
      // exponential: 200 ms before the 2nd attempt, 400 ms before the 3rd
      expect(times[1] - times[0]).toBeGreaterThanOrEqual(190);
      expect(times[2] - times[1]).toBeGreaterThanOrEqual(390);
    });

    it('stores the reason of a job that failed every attempt', async () => {
      const job = await producer.add(
        E2E_QUEUE,
        'e2e.work',
        { mode: 'fail', value: 7 },
        { attempts: 2, backoff: { type: 'fixed', delay: 50 } },
      );
      const failed = await finishedState(api, job.id!);
      expect(await failed.getState()).toBe('failed');
      expect(failed.failedReason).toBe('boom: value 7 cannot be processed');
      expect(failed.attemptsMade).toBe(2);
      const counts = await producer.queue(E2E_QUEUE).getJobCounts('failed');
      expect(counts.failed).toBeGreaterThanOrEqual(1);
    });

    it('does not retry an unrecoverable failure', async () => {
      const job = await producer.add(E2E_QUEUE, 'e2e.work', { mode: 'unrecoverable', value: 1 }, { attempts: 5 });
      const failed = await finishedState(api, job.id!);
      expect(await failed.getState()).toBe('failed');
      expect(failed.failedReason).toBe('bad input: will never work');
      expect(attempts.get(job.id!)).toHaveLength(1);
    });

    it('lets an active job finish when the worker shuts down', async () => {
      const job = await producer.add(E2E_QUEUE, 'e2e.work', { mode: 'slow', value: 4, ms: 800 });
      await waitActive(api, job.id!);
      await api.close();
      api = await bootQueueApp(vars, { obliterate: false });
      producer = api.app.get(JobProducer);
      const done = await producer.queue(E2E_QUEUE).getJob(job.id!);
      expect(await done!.getState()).toBe('completed');
      expect(done!.returnvalue).toEqual({ doubled: 8 });
      expect(attempts.get(job.id!)).toHaveLength(1);
    }, 30_000);

    it('hands a job back to the queue when it outlasts the shutdown timeout', async () => {
      const impatient = await bootQueueApp({ ...vars, WORKER_SHUTDOWN_TIMEOUT_MS: '200' }, { obliterate: false });
      await api.close();
      const job = await impatient.app
        .get(JobProducer)
        .add(E2E_QUEUE, 'e2e.work', { mode: 'slowOnce', value: 9, ms: 6_000 });
      await waitActive(impatient, job.id!);
      const closing = Date.now();
      await impatient.close();
      expect(Date.now() - closing).toBeLessThan(3_000);

      // A fresh worker finds the abandoned job through BullMQ's stalled-job check and runs it.
      api = await bootQueueApp(vars, { obliterate: false });
      producer = api.app.get(JobProducer);
      const done = await finishedState(api, job.id!);
      expect(await done.getState()).toBe('completed');
      expect(done.returnvalue).toEqual({ doubled: 18 });
      expect(attempts.get(job.id!)!.length).toBeGreaterThanOrEqual(2);
    }, 40_000);
  });
}
