import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { NotificationService, type RunUpdateInput } from '../../lib';
import type { SampleConfig } from '../config';
import { SAMPLE_CONFIG } from '../sample.constants';

/**
 * The sample's simulated background task, after the controller registered the run with `queued`:
 * `running`, `progress` × RUN_STEPS, `completed`, one step every RUN_STEP_MS, then a
 * `run.completed` notification to the owner. On shutdown it lets
 * the tasks in flight finish, up to SHUTDOWN_TIMEOUT_MS.
 */
@Injectable()
export class TaskRunner implements BeforeApplicationShutdown {
  private readonly logger = new Logger('TaskRunner');
  private readonly active = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private cancelled = false;

  constructor(
    private readonly notifications: NotificationService,
    @Inject(SAMPLE_CONFIG) private readonly config: SampleConfig,
  ) {}

  /** Runs a queued task in the background: `running`, the steps, `completed` (or `failed`). */
  start(runId: string, ownerId: string): void {
    const task = this.run(runId, ownerId).finally(() => this.active.delete(task));
    this.active.add(task);
  }

  async beforeApplicationShutdown(): Promise<void> {
    const deadline = Date.now() + this.config.shutdownTimeoutMs;
    // Re-checked in a loop: a task taken from the queue while draining is waited for too.
    while (this.active.size > 0 && Date.now() < deadline) {
      this.logger.log(`Waiting for ${this.active.size} task(s) to finish`);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>(
        (resolve) => (timer = setTimeout(resolve, deadline - Date.now())),
      );
      await Promise.race([Promise.allSettled([...this.active]), timeout]);
      clearTimeout(timer);
    }
    this.cancelled = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private steps(): RunUpdateInput[] {
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
    return steps;
  }

  private async run(runId: string, ownerId: string): Promise<void> {
    for (const step of this.steps()) {
      await this.sleep(this.config.runStepMs);
      if (this.cancelled) return;
      try {
        await this.notifications.publishRunUpdate(runId, step);
      } catch (error) {
        this.logger.error(
          `Run ${runId}: publishing ${step.status} failed: ${(error as Error).message}`,
        );
        return;
      }
    }
    this.notifications.sendToUser(ownerId, 'run.completed', { runId, status: 'completed' });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}
