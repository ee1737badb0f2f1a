import { Controller, Get, Inject, NotFoundException, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { join } from 'node:path';
import type { SampleConfig } from '../config';
import { SAMPLE_CONFIG } from '../sample.constants';

const ASSETS: Record<string, string> = {
  'app.js': 'application/javascript; charset=utf-8',
  'run-list.js': 'application/javascript; charset=utf-8',
  'styles.css': 'text/css; charset=utf-8',
  // Built by scripts/bundle-client.js: the client SDK for the browser.
  'notifications-sdk.js': 'application/javascript; charset=utf-8',
  'notifications-sdk.js.map': 'application/json; charset=utf-8',
};

/** The sample page at `/` and its assets, plus `/api/config` telling the page which sign-in to offer. */
@Controller()
export class WebController {
  private readonly root = join(__dirname, '..', 'public');

  constructor(@Inject(SAMPLE_CONFIG) private readonly config: SampleConfig) {}

  @Get()
  page(@Res() res: Response): void {
    res.type('html').sendFile(join(this.root, 'index.html'));
  }

  @Get('api/config')
  clientConfig(): { authMode: SampleConfig['authMode'] } {
    return { authMode: this.config.authMode };
  }

  @Get(':asset')
  asset(@Param('asset') asset: string, @Res() res: Response): void {
    const type = ASSETS[asset];
    if (!type) throw new NotFoundException();
    res.type(type).sendFile(join(this.root, asset));
  }
}
