import { Controller, Get, Header, type OnModuleDestroy } from '@nestjs/common';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { NotificationsMetrics } from '../../lib';

/** `GET /metrics`: Prometheus text exposition of the module's metrics and this process's. */
@Controller('metrics')
export class MetricsController implements OnModuleDestroy {
  // One registry per app instance, so that several apps in one process do not collide.
  private readonly process = new Registry();
  private readonly registry: Registry;

  constructor(notifications: NotificationsMetrics) {
    collectDefaultMetrics({ register: this.process, prefix: 'notifications_sample_' });
    this.registry = Registry.merge([this.process, notifications.registry]);
  }

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  onModuleDestroy(): void {
    this.process.clear();
  }
}
