import { sendsBeforeReturning } from './release-sent-packets';

describe('sendsBeforeReturning', () => {
  it.each([
    [{ name: 'websocket', protocol: 4 }, true],
    [{ name: 'websocket', protocol: 3 }, true],
    [{ name: 'polling', protocol: 4 }, true],
    // Engine.IO 3's payload encoder may call back after send returns.
    [{ name: 'polling', protocol: 3 }, false],
    [{ name: 'polling' }, false],
    // WebTransport writes packet by packet across awaits.
    [{ name: 'webtransport', protocol: 4 }, false],
    [{}, false],
    [undefined, false],
  ])('%p: %p', (transport, expected) => expect(sendsBeforeReturning(transport)).toBe(expected));
});
