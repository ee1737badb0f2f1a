import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { NotificationsHealthService } from '../../lib';

/** `GET /health`: 200 when ready, 503 while a configured Redis is unreachable; the body names each check. */
@Controller('health')
export class HealthController {
  constructor(private readonly health: NotificationsHealthService) {}

  @Get()
  async check(@Res() res: Response): Promise<void> {
    const report = await this.health.check();
    res
      .status(report.healthy ? 200 : 503)
      .json({ status: report.healthy ? 'ok' : 'error', checks: report.checks });
  }
}
