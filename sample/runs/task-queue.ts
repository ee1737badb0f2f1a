import {
  Logger,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type Provider,
} from '@nestjs/common';
import type { RedisClient } from '../../lib';
import { sampleRedis } from '../redis-client';

/** A task handed to the worker. */
export interface TaskJob {
  runId: string;
  ownerId: string;
}

const QUEUE_KEY = 'notifications:sample:tasks';

/**
 * The sample's task queue between API instances and the worker: a Redis list. A job taken by a
 * worker that then crashes is lost with it; a production queue would use BLMOVE to a processing
 * list, or a job library.
 */
export class TaskQueue implements OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger('TaskQueue');
  private readonly redis: RedisClient;
  private consuming?: Promise<void>;
  private stopped = false;

  constructor(redisUrl: string) {
    this.redis = sampleRedis(redisUrl, { connectionName: 'sample:task-queue' });
    this.redis.on('error', (error: Error) => this.logger.warn(`Redis: ${error.message}`));
  }

  async enqueue(job: TaskJob): Promise<void> {
    await this.redis.lpush(QUEUE_KEY, JSON.stringify(job));
  }

  /** Takes jobs one at a time until stopped. */
  consume(handler: (job: TaskJob) => Promise<void>): void {
    this.consuming = (async () => {
      while (!this.stopped) {
        let popped: [string, string] | null = null;
        try {
          // A short block, so that stopping does not wait long.
          popped = await this.redis.brpop(QUEUE_KEY, 1);
        } catch (error) {
          if (!this.stopped) this.logger.warn(`Taking a job failed: ${(error as Error).message}`);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
        if (!popped) continue;
        try {
          await handler(JSON.parse(popped[1]) as TaskJob);
        } catch (error) {
          this.logger.error(`Job failed: ${(error as Error).message}`);
        }
      }
    })();
  }

  /** Stops taking jobs; in-flight tasks are the runner's to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.consuming;
  }

  // Shutdown's first phase: a draining worker takes no new job, which stays in Redis for another.
  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  // After onModuleDestroy, which stopped the consumer.
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** The queue on REDIS_URL, as the instances (TASK_RUNNER=worker) and the worker provide it. */
export function taskQueueProvider(redisUrl: string): Provider {
  return { provide: TaskQueue, useFactory: () => new TaskQueue(redisUrl) };
}
