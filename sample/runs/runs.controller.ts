import {
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Optional,
  Param,
  Post,
  UseGuards,
} from '@nestjs/common';
import {
  CurrentUser,
  NotificationService,
  NotificationsAuthGuard,
  type AuthenticatedUser,
  type RunSnapshot,
} from '../../lib';
import { TaskQueue } from './task-queue';
import { TaskRunner } from './task-runner.service';

/** Start a simulated task and read a run's state. Every route needs a valid bearer token. */
@Controller('api/runs')
@UseGuards(NotificationsAuthGuard)
export class RunsController {
  constructor(
    private readonly notifications: NotificationService,
    private readonly tasks: TaskRunner,
    @Optional() private readonly queue?: TaskQueue,
  ) {}

  /** Registers a run owned by the caller before answering, then runs the task in the background. */
  @Post()
  @HttpCode(202)
  async start(@CurrentUser() user: AuthenticatedUser): Promise<{ runId: string }> {
    const run = await this.notifications.createRun(user.userId, {
      firstUpdate: { status: 'queued', message: 'Queued' },
    });
    if (this.queue) await this.queue.enqueue({ runId: run.runId, ownerId: user.userId });
    else this.tasks.start(run.runId, user.userId);
    return { runId: run.runId };
  }

  /** The run's state and log, for whoever the access policy admits; 404 for anyone else. */
  @Get(':runId')
  async get(
    @CurrentUser() user: AuthenticatedUser,
    @Param('runId') runId: string,
  ): Promise<RunSnapshot> {
    const run = await this.notifications.getRunForUser(user, runId);
    if (!run) throw new NotFoundException('No such run.');
    return { runId: run.runId, status: run.status, lastSeq: run.lastSeq, updates: run.updates };
  }
}
