import { ConfigReader } from '@backstage/config';
import { mockServices } from '@backstage/backend-test-utils';
import { UrlReaders } from '@backstage/backend-defaults/urlReader';
import { NotModifiedError } from '@backstage/errors';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocalRepositoryUrlReader } from './LocalRepositoryUrlReader';

// Real files in a temporary directory.
describe('LocalRepositoryUrlReader', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'local-repositories-'));
  const root = path.join(base, 'repositories');
  const repo = path.join(root, 'churn-model');
  fs.mkdirSync(path.join(repo, '.git'), { recursive: true });
  fs.mkdirSync(path.join(repo, 'pipelines'));
  fs.writeFileSync(path.join(repo, 'catalog-info.yaml'), 'kind: Component\n');
  fs.writeFileSync(path.join(repo, 'pipelines', 'train.py'), 'C = 1.0\n');
  fs.writeFileSync(path.join(repo, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  fs.writeFileSync(path.join(base, 'secret.yaml'), 'password: hunter2\n');

  // Through Backstage's own URL reader mux, as the catalog and the scaffolder use it.
  const readerFor = (config: object) =>
    UrlReaders.create({
      config: new ConfigReader(config),
      logger: mockServices.logger.mock(),
      factories: [LocalRepositoryUrlReader.factory],
    });
  const configured = { sagemakerMlflow: { localRepositories: { root } } };
  const url = (target: string) => pathToFileURL(target).href;

  it('reads nothing unless the directory is configured', async () => {
    await expect(
      readerFor({}).readUrl(url(path.join(repo, 'catalog-info.yaml'))),
    ).rejects.toThrow(/Reading from '.*' is not allowed/);
  });

  it('reads a file inside the directory, and answers NotModified for its etag', async () => {
    const reader = readerFor(configured);
    const target = url(path.join(repo, 'catalog-info.yaml'));
    const response = await reader.readUrl(target);
    expect((await response.buffer()).toString()).toBe('kind: Component\n');
    await expect(
      reader.readUrl(target, { etag: response.etag }),
    ).rejects.toThrow(NotModifiedError);
  });

  it('refuses files outside the directory, also through .. segments', async () => {
    const reader = readerFor(configured);
    await expect(
      reader.readUrl(url(path.join(base, 'secret.yaml'))),
    ).rejects.toThrow(/outside the local repositories directory/);
    await expect(
      reader.readUrl(`file://${repo}/../../secret.yaml`),
    ).rejects.toThrow(/outside the local repositories directory/);
  });

  it('refuses a symlink inside the directory that points outside it', async () => {
    fs.symlinkSync(
      path.join(base, 'secret.yaml'),
      path.join(repo, 'link.yaml'),
    );
    await expect(
      readerFor(configured).readUrl(url(path.join(repo, 'link.yaml'))),
    ).rejects.toThrow(/outside the local repositories directory/);
    fs.unlinkSync(path.join(repo, 'link.yaml'));
  });

  it("answers the catalog's search with the file, and NotModified for its etag", async () => {
    const reader = readerFor(configured);
    const target = url(path.join(repo, 'catalog-info.yaml'));
    const found = await reader.search(target);
    expect(found.files.map(f => f.url)).toEqual([target]);
    expect((await found.files[0].content()).toString()).toBe(
      'kind: Component\n',
    );
    await expect(reader.search(target, { etag: found.etag })).rejects.toThrow(
      NotModifiedError,
    );
  });

  it('reads a repository as a tree without its .git directory', async () => {
    const reader = readerFor(configured);
    const tree = await reader.readTree(url(repo));
    const files = await tree.files();
    expect(files.map(f => f.path).sort()).toEqual([
      'catalog-info.yaml',
      'pipelines/train.py',
    ]);
  });

  it('reports a missing file as not found', async () => {
    const reader = readerFor(configured);
    await expect(
      reader.readUrl(url(path.join(repo, 'missing.yaml'))),
    ).rejects.toThrow(/does not exist/);
  });
});
