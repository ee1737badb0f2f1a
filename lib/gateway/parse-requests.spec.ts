import { parseRunIdArg, parseSubscribeArgs, parseTokenArg } from './parse-requests';

describe('parseSubscribeArgs', () => {
  it.each([
    ['run-1', { runId: 'run-1', afterSeq: 0 }],
    [{ runId: 'a:b.c_d-e' }, { runId: 'a:b.c_d-e', afterSeq: 0 }],
    [
      { runId: 'r', afterSeq: 7 },
      { runId: 'r', afterSeq: 7 },
    ],
    [
      { runId: 'r', afterSeq: null },
      { runId: 'r', afterSeq: 0 },
    ],
    ['x'.repeat(128), { runId: 'x'.repeat(128), afterSeq: 0 }],
    [
      { runId: 'r', afterSeq: 3, createdAt: '2026-12-05T08:00:00.000Z' },
      { runId: 'r', afterSeq: 3, createdAt: '2026-12-05T08:00:00.000Z' },
    ],
    [
      { runId: 'r', createdAt: null },
      { runId: 'r', afterSeq: 0, createdAt: null },
    ],
  ])('accepts %p', (body, expected) => expect(parseSubscribeArgs(body)).toEqual(expected));

  it.each([
    [''],
    ['x'.repeat(129)],
    ['run/1'],
    ['run 1'],
    ['rün'],
    [42],
    [null],
    [undefined],
    [['run-1']],
    [{}],
    [{ runId: 5 }],
    [{ runId: 'r', afterSeq: -1 }],
    [{ runId: 'r', afterSeq: 1.5 }],
    [{ runId: 'r', afterSeq: '3' }],
    [{ runId: 'r', afterSeq: Number.MAX_VALUE }],
    [{ runId: { $gt: '' } }],
    [{ runId: 'r', createdAt: '' }],
    [{ runId: 'r', createdAt: 'x'.repeat(65) }],
    [{ runId: 'r', createdAt: 1733385600000 }],
    [{ runId: 'r', createdAt: { $ne: '' } }],
  ])('rejects %p', (body) => expect(parseSubscribeArgs(body)).toBeUndefined());
});

describe('parseRunIdArg', () => {
  it('accepts a run id or {runId}', () => {
    expect(parseRunIdArg('r1')).toBe('r1');
    expect(parseRunIdArg({ runId: 'r1' })).toBe('r1');
  });
  it.each([[null], [{}], [['r1']], ['bad id'], [{ runId: 1 }]])('rejects %p', (body) =>
    expect(parseRunIdArg(body)).toBeUndefined(),
  );
});

describe('parseTokenArg', () => {
  it('accepts {token} and a bare string', () => {
    expect(parseTokenArg({ token: 't' })).toBe('t');
    expect(parseTokenArg('t')).toBe('t');
  });
  it.each([[null], [{}], [{ token: 1 }], [['t']]])('rejects %p', (body) =>
    expect(parseTokenArg(body)).toBeUndefined(),
  );
});
