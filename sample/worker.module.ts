import { Inject, Module, type DynamicModule, type OnApplicationBootstrap } from '@nestjs/common';
import { NotificationsModule } from '../lib';
import { notificationsOptions } from './app.module';
import type { SampleConfig } from './config';
import { TaskQueue, taskQueueProvider } from './runs/task-queue';
import { TaskRunner } from './runs/task-runner.service';
import { SAMPLE_CONFIG } from './sample.constants';

/** Takes jobs from the queue and runs them. */
class TaskConsumer implements OnApplicationBootstrap {
  constructor(
    @Inject(TaskQueue) private readonly queue: TaskQueue,
    @Inject(TaskRunner) private readonly runner: TaskRunner,
  ) {}

  onApplicationBootstrap(): void {
    this.queue.consume(async (job) => this.runner.start(job.runId, job.ownerId));
  }
}

/**
 * The sample's worker: runs the simulated tasks and publishes their updates without hosting a
 * gateway (publisher-only mode), through Redis to whichever instance holds the subscribers.
 */
@Module({})
export class WorkerModule {
  static register(config: SampleConfig): DynamicModule {
    const configProvider = { provide: SAMPLE_CONFIG, useValue: config };
    return {
      module: WorkerModule,
      imports: [
        NotificationsModule.forRoot({
          // The worker verifies no tokens; the options still describe the deployment.
          ...notificationsOptions(config),
          gateway: false,
        }),
      ],
      providers: [
        configProvider,
        TaskRunner,
        taskQueueProvider(config.redisUrl as string),
        TaskConsumer,
      ],
    };
  }
}
