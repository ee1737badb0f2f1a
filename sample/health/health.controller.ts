import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { NotificationsHealthService } from '../../lib';

/**
 * `GET /health` (terminus): 200 when ready; 503 while Redis is unreachable or its pub/sub does not
 * carry messages, and while the instance drains. The body names each check.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly notifications: NotificationsHealthService,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.notifications.indicator('gateway'),
      () => this.notifications.indicator('redis'),
    ]);
  }
}
