import { Controller, Get, Header, type OnModuleDestroy } from '@nestjs/common';
import { Registry, collectDefaultMetrics } from 'prom-client';

/** `GET /metrics`: Prometheus text exposition of this instance's process metrics. */
@Controller('metrics')
export class MetricsController implements OnModuleDestroy {
  // One registry per app instance, so that several apps in one process do not collide.
  private readonly registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'notifications_sample_' });
  }

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  onModuleDestroy(): void {
    this.registry.clear();
  }
}
