import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { NotificationService, type RunUpdateInput } from '../../lib';
import type { SampleConfig } from '../config';
import { SAMPLE_CONFIG } from '../sample.constants';

/**
 * The sample's simulated background task: `queued`, `running`, `progress` × RUN_STEPS, `completed`,
 * one step every RUN_STEP_MS, then a `run.completed` notification to the owner.
 */
@Injectable()
export class TaskRunner implements OnModuleDestroy {
  private readonly logger = new Logger('TaskRunner');
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly notifications: NotificationService,
    @Inject(SAMPLE_CONFIG) private readonly config: SampleConfig,
  ) {}

  /** Publishes `queued` now and schedules the rest. */
  async start(runId: string, ownerId: string): Promise<void> {
    await this.notifications.publishRunUpdate(runId, { status: 'queued', message: 'Queued' });
    const total = this.config.runSteps;
    const steps: RunUpdateInput[] = [{ status: 'running', message: 'Started' }];
    for (let step = 1; step <= total; step++) {
      steps.push({
        status: 'progress',
        message: `Step ${step} of ${total}`,
        data: { step, total, percent: Math.round((step / total) * 100) },
      });
    }
    steps.push({ status: 'completed', message: 'Done', data: { percent: 100 } });
    this.next(runId, ownerId, steps);
  }

  onModuleDestroy(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private next(runId: string, ownerId: string, steps: RunUpdateInput[]): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const [step, ...rest] = steps;
      this.notifications.publishRunUpdate(runId, step).then(
        () => {
          if (rest.length > 0) return this.next(runId, ownerId, rest);
          this.notifications.sendToUser(ownerId, 'run.completed', { runId, status: step.status });
        },
        (error: Error) =>
          this.logger.error(`Run ${runId}: publishing ${step.status} failed: ${error.message}`),
      );
    }, this.config.runStepMs);
    this.timers.add(timer);
  }
}
