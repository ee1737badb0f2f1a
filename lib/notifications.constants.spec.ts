import { roomsOfRunId, runIdOfRoom, runRoom, userRoom } from './notifications.constants';

describe('run rooms', () => {
  const createdAt = '2026-12-05T06:00:00.123Z';

  it('name a run by its id and its creation time, and give the id back', () => {
    const room = runRoom('report:2026-12-05', createdAt);
    expect(room).toBe(`run:report:2026-12-05@${createdAt}`);
    expect(runIdOfRoom(room)).toBe('report:2026-12-05');
  });

  it('differ for two runs under one id created at different times', () => {
    expect(runRoom('r', createdAt)).not.toBe(runRoom('r', '2026-12-05T06:00:00.124Z'));
  });

  it('keep a creation time that is not an ISO date as it is (a custom store)', () => {
    expect(runRoom('r', 'gen-7')).toBe('run:r@gen-7');
    expect(runIdOfRoom('run:r@gen-7')).toBe('r');
  });

  it('refuse to be named without the creation time', () => {
    expect(() => (runRoom as (runId: string) => string)('r')).toThrow(TypeError);
    expect(() => runRoom('r', '')).toThrow(TypeError);
  });

  it('are told apart from other rooms', () => {
    expect(runIdOfRoom(userRoom('run:x@y'))).toBeUndefined();
    expect(runIdOfRoom('run:no-generation')).toBeUndefined();
    expect(runIdOfRoom('socket-id')).toBeUndefined();
  });

  it('are found among a socket’s rooms by run id, whichever run under the id', () => {
    const rooms = [
      'sid',
      userRoom('u'),
      runRoom('a', createdAt),
      runRoom('a', 'old'),
      runRoom('ab', createdAt),
    ];
    expect(roomsOfRunId(rooms, 'a')).toEqual([runRoom('a', createdAt), runRoom('a', 'old')]);
    expect(roomsOfRunId(rooms, 'b')).toEqual([]);
  });
});
