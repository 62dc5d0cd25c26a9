/** Property-based tests (fast-check) of the WebSocket protocol: whatever a client or the network sends, nothing is misread. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, parseClientMessage, redactSource } from '../../src/live/protocol.js';

describe('the WebSocket protocol under arbitrary input', () => {
  it('parses only the one message a client may send, and ignores everything else without throwing', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v))), (text) => {
        const message = parseClientMessage(text);
        if (message !== undefined) {
          expect(Object.keys(message).sort()).toEqual(['frames', 'type']);
          expect(message.type).toBe('set');
          expect(typeof message.frames).toBe('boolean');
        }
      }),
    );
    fc.assert(
      fc.property(fc.boolean(), (frames) => {
        expect(parseClientMessage(JSON.stringify({ type: 'set', frames }))).toEqual({ type: 'set', frames });
      }),
    );
  });

  it('refuses extra keys, prototype tricks and wrong types', () => {
    for (const text of [
      '{"type":"set","frames":true,"x":1}',
      '{"type":"set","frames":"true"}',
      '{"__proto__":{"frames":true},"type":"set"}',
      '{"type":"SET","frames":true}',
      '[{"type":"set","frames":true}]',
    ])
      expect(parseClientMessage(text), text).toBeUndefined();
  });

  it('round-trips a frame message for any sequence number and JPEG bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.uint8Array({ maxLength: 512 }), (seq, jpeg) => {
        const decoded = decodeFrame(encodeFrame(seq, jpeg));
        expect(decoded.seq).toBe(seq);
        expect(Buffer.from(decoded.jpeg).equals(Buffer.from(jpeg))).toBe(true);
      }),
    );
  });

  it('throws a clear error, never reads out of bounds, on a frame message shorter than its header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3 }), (bytes) => {
        expect(() => decodeFrame(bytes)).toThrow(/a frame message needs at least 4 bytes/);
      }),
    );
  });

  it('never shows a URL password, whatever the URL', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('rtsp', 'rtsps', 'srt', 'http'),
        fc.stringMatching(/^[a-z0-9_]{1,12}$/),
        fc.stringMatching(/^[A-Za-z0-9!$%^&*()_+=-]{1,24}$/),
        fc.domain(),
        (scheme, user, secret, host) => {
          const shown = redactSource(`${scheme}://${user}:${secret}@${host}/cam`);
          expect(shown).toBe(`${scheme}://${user}:***@${host}/cam`);
        },
      ),
    );
  });
});
