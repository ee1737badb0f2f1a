import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { DevIdentity, type DevToken } from './dev-identity';

const USER_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** `GET /dev/token?user=<name>`: registered only when AUTH_MODE=dev, so it is a 404 otherwise. */
@Controller('dev')
export class DevTokenController {
  constructor(private readonly identity: DevIdentity) {}

  @Get('token')
  token(@Query('user') user: unknown): Promise<DevToken> {
    if (typeof user !== 'string' || !USER_NAME.test(user)) {
      throw new BadRequestException('user must be 1–64 chars of [A-Za-z0-9_.-]');
    }
    return this.identity.issue(user);
  }
}
