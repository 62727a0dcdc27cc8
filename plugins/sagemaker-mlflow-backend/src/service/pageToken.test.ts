import {
  canonicalPageToken,
  decodePageToken,
  encodePageToken,
} from './pageToken';

const raw = (text: string) => Buffer.from(text).toString('base64url');

describe('page tokens', () => {
  it('reads back what it wrote', () => {
    const token = encodePageToken({ upstream: 'abc', skip: 20 });
    expect(decodePageToken(token)).toEqual({ upstream: 'abc', skip: 20 });
    expect(decodePageToken(undefined)).toEqual({ skip: 0 });
  });

  it('refuses a token with a field it never writes, or a skip that is not a whole number', () => {
    for (const text of [
      '{"skip":20,"nonce":1}',
      '{"skip":20,"upstream":"abc","x":null}',
      '{"skip":2.5}',
      '{"skip":"20"}',
      '[20]',
      'null',
    ]) {
      expect(() => decodePageToken(raw(text))).toThrow(
        'pageToken is not a token this API returned',
      );
    }
  });

  it('gives every spelling of one page the same cache key, and the first page the empty one', () => {
    const canonical = canonicalPageToken(
      decodePageToken(encodePageToken({ upstream: 'abc', skip: 20 })),
    );
    for (const spelling of [
      raw('{"skip":20,"upstream":"abc"}'),
      raw('{ "upstream" : "abc", "skip" : 20.0 }'),
      // Standard base64 with padding decodes to the same bytes.
      Buffer.from('{"upstream":"abc","skip":20} ').toString('base64'),
    ]) {
      expect(canonicalPageToken(decodePageToken(spelling))).toBe(canonical);
    }
    expect(canonicalPageToken(decodePageToken(raw('{"skip":0}')))).toBe('');
    expect(canonicalPageToken(decodePageToken(undefined))).toBe('');
  });
});
