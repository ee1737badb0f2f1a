import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { sharedListeners, splitAck } from './shared-listeners';

describe('splitAck', () => {
  const ack = () => undefined;
  it.each([
    [[], [], false],
    [['r1'], 'r1', false],
    [['r1', ack], 'r1', true],
    [[ack], undefined, true],
    [['a', 'b'], ['a', 'b'], false],
    [['a', 'b', ack], ['a', 'b'], true],
  ])('%p → data %p, ack %p', (args, data, hasAck) => {
    const split = splitAck(args as unknown[]);
    expect(split.data).toEqual(data);
    expect(typeof split.ack === 'function').toBe(hasAck);
  });
});

describe('sharedListeners', () => {
  const logger = new Logger('test');
  beforeAll(() => jest.spyOn(logger, 'error').mockImplementation(() => undefined));

  const emitWithAck = (socket: EventEmitter, event: string, ...args: unknown[]) =>
    new Promise((resolve) => socket.emit(event, ...args, resolve));

  it('calls the handler with the emitting socket and acks its result; one function for all sockets', async () => {
    const seen: unknown[] = [];
    const listeners = sharedListeners(
      { ping: async (socket, body) => (seen.push(socket), { ok: true, body }) },
      logger,
    );
    const [a, b] = [new EventEmitter(), new EventEmitter()];
    for (const socket of [a, b]) for (const [event, fn] of listeners) socket.on(event, fn);
    expect(a.listeners('ping')[0]).toBe(b.listeners('ping')[0]);
    expect(await emitWithAck(a, 'ping', 'x')).toEqual({ ok: true, body: 'x' });
    expect(await emitWithAck(b, 'ping', { runId: 'r' })).toEqual({
      ok: true,
      body: { runId: 'r' },
    });
    expect(seen).toEqual([a as unknown as Socket, b as unknown as Socket]);
  });

  it('answers internal when the handler throws, and tolerates a missing ack', async () => {
    const listeners = sharedListeners(
      {
        boom: async () => {
          throw new Error('store down');
        },
      },
      logger,
    );
    const socket = new EventEmitter();
    for (const [event, fn] of listeners) socket.on(event, fn);
    socket.emit('boom', 'no ack');
    expect(await emitWithAck(socket, 'boom', 'x')).toMatchObject({
      ok: false,
      error: { code: 'internal' },
    });
    expect(logger.error).toHaveBeenCalledWith(expect.stringContaining('store down'));
  });
});
