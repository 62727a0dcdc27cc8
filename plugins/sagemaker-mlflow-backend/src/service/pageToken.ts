import { InputError } from '@backstage/errors';

/** Our page token: the upstream token plus how many items of that upstream page were already served. */
export interface PageToken {
  upstream?: string;
  skip: number;
}

export function encodePageToken(token: PageToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

export function decodePageToken(token: string | undefined): PageToken {
  if (!token) return { skip: 0 };
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      typeof parsed.skip === 'number' &&
      parsed.skip >= 0 &&
      (parsed.upstream === undefined || typeof parsed.upstream === 'string')
    ) {
      return { upstream: parsed.upstream, skip: parsed.skip };
    }
  } catch {
    // fall through
  }
  throw new InputError('pageToken is not a token this API returned');
}
