import { InputError } from '@backstage/errors';
import { UpstreamError } from '@model-factory/plugin-sagemaker-mlflow-node';

/** Our page token: the upstream token plus how many items of that upstream page were already served. */
export interface PageToken {
  upstream?: string;
  skip: number;
}

const FIELDS = new Set(['upstream', 'skip']);

/** Always the same text for the same page: fields in one order, nothing else (see {@link canonicalPageToken}). */
export function encodePageToken(token: PageToken): string {
  return Buffer.from(
    JSON.stringify({ upstream: token.upstream, skip: token.skip }),
  ).toString('base64url');
}

/**
 * Reads a token this API returned. Anything else is a 400: extra fields, another type, a fractional skip. Each
 * accepted spelling would otherwise be a page of its own in the cache, and an uncached page costs up to a
 * hundred upstream calls.
 */
export function decodePageToken(token: string | undefined): PageToken {
  if (!token) return { skip: 0 };
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      parsed !== null &&
      typeof parsed === 'object' &&
      !Array.isArray(parsed) &&
      Object.keys(parsed).every(key => FIELDS.has(key)) &&
      Number.isSafeInteger(parsed.skip) &&
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

/**
 * The one spelling of a decoded page, for cache keys: base64 and JSON accept many spellings of the same token
 * (padding, whitespace, field order, `"skip": 0.0`). The first page is the empty string, with or without a token.
 */
export function canonicalPageToken(page: PageToken): string {
  return page.upstream === undefined && page.skip === 0
    ? ''
    : encodePageToken(page);
}

/**
 * One page of what an upstream list call returned, and the token of the next: some servers (the emulator) ignore
 * MaxResults, so a page of theirs is paged over here before their own NextToken is followed.
 */
export function pageOf<T>(
  all: T[],
  page: PageToken,
  size: number,
  upstreamNextToken: string | undefined,
): { items: T[]; nextPageToken?: string } {
  let nextPageToken: string | undefined;
  if (page.skip + size < all.length) {
    nextPageToken = encodePageToken({
      upstream: page.upstream,
      skip: page.skip + size,
    });
  } else if (upstreamNextToken) {
    nextPageToken = encodePageToken({ upstream: upstreamNextToken, skip: 0 });
  }
  return { items: all.slice(page.skip, page.skip + size), nextPageToken };
}

/**
 * Runs an upstream list call with the page's upstream token. A token the upstream refuses came in a pageToken this
 * API did not give out (its upstream part forged or from another list): the caller's 400, not an upstream failure.
 */
export async function withUpstreamToken<T>(
  page: PageToken,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (
      page.upstream !== undefined &&
      error instanceof UpstreamError &&
      /InvalidToken|InvalidNextToken|next ?token|pagination token/i.test(
        error.message,
      )
    ) {
      throw new InputError('pageToken is not a token this API returned');
    }
    throw error;
  }
}
