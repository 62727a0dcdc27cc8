import type {
  UrlReaderService,
  UrlReaderServiceReadTreeResponse,
  UrlReaderServiceReadUrlOptions,
  UrlReaderServiceReadUrlResponse,
  UrlReaderServiceSearchResponse,
} from '@backstage/backend-plugin-api';
import { isChildPath } from '@backstage/backend-plugin-api';
import {
  ReadUrlResponseFactory,
  type ReaderFactory,
} from '@backstage/backend-defaults/urlReader';
import {
  InputError,
  NotAllowedError,
  NotFoundError,
  NotModifiedError,
} from '@backstage/errors';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readLocalRepositoryRoot } from './localRepositoryRoot';

type TreeResponseFactory = Parameters<ReaderFactory>[0]['treeResponseFactory'];

/**
 * Reads file:// URLs inside the local repositories directory, so the catalog can register and refresh what the
 * local publish target wrote. Nothing outside that directory can be read through it.
 */
export class LocalRepositoryUrlReader implements UrlReaderService {
  static factory: ReaderFactory = ({ config, treeResponseFactory }) => {
    const root = readLocalRepositoryRoot(config);
    if (!root) return [];
    const reader = new LocalRepositoryUrlReader(root, treeResponseFactory);
    return [{ reader, predicate: url => url.protocol === 'file:' }];
  };

  constructor(
    private readonly root: string,
    private readonly treeResponseFactory: TreeResponseFactory,
  ) {}

  async readUrl(
    url: string,
    options?: UrlReaderServiceReadUrlOptions,
  ): Promise<UrlReaderServiceReadUrlResponse> {
    const file = await this.pathOf(url);
    const stat = await this.stat(file, url);
    if (!stat.isFile()) throw new InputError(`${url} is not a file`);
    const etag = `${stat.size}-${stat.mtimeMs}`;
    if (options?.etag === etag) throw new NotModifiedError();
    return ReadUrlResponseFactory.fromReadable(fs.createReadStream(file), {
      etag,
      lastModifiedAt: stat.mtime,
    });
  }

  async readTree(url: string): Promise<UrlReaderServiceReadTreeResponse> {
    const directory = await this.pathOf(url);
    if (!(await this.stat(directory, url)).isDirectory()) {
      throw new InputError(`${url} is not a directory`);
    }
    const files = (
      await fs.promises.readdir(directory, {
        recursive: true,
        withFileTypes: true,
      })
    ).filter(
      entry =>
        entry.isFile() && !entry.parentPath.split(path.sep).includes('.git'),
    );
    return this.treeResponseFactory.fromReadableArray(
      files.map(entry => {
        const absolute = path.join(entry.parentPath, entry.name);
        return {
          data: fs.createReadStream(absolute),
          path: path.relative(directory, absolute).split(path.sep).join('/'),
        };
      }),
    );
  }

  async search(
    url: string,
    options?: UrlReaderServiceReadUrlOptions,
  ): Promise<UrlReaderServiceSearchResponse> {
    if (/[*?[\]{}]/.test(url)) {
      throw new InputError(
        `${url}: local repositories are read by exact path, not by pattern`,
      );
    }
    // The catalog refreshes locations through search with the last etag: unchanged files are not re-read.
    const file = await this.readUrl(url, { etag: options?.etag });
    return {
      files: [
        {
          url,
          content: () => file.buffer(),
          lastModifiedAt: file.lastModifiedAt,
        },
      ],
      etag: file.etag ?? '',
    };
  }

  toString() {
    return `local-repositories{root=${this.root}}`;
  }

  /** The file a URL names, after following symlinks, and only if that is inside the directory. */
  private async pathOf(url: string): Promise<string> {
    const target = fileURLToPath(url);
    const [root, real] = await Promise.all([
      fs.promises.realpath(this.root).catch(() => this.root),
      fs.promises.realpath(target).catch(() => target),
    ]);
    if (!isChildPath(this.root, target) || !isChildPath(root, real)) {
      throw new NotAllowedError(
        `${url} is outside the local repositories directory`,
      );
    }
    return real;
  }

  private async stat(target: string, url: string) {
    return fs.promises.stat(target).catch(() => {
      throw new NotFoundError(`${url} does not exist`);
    });
  }
}
