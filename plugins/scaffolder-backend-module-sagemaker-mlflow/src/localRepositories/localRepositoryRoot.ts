import type { Config } from '@backstage/config';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const LOCAL_REPOSITORIES_CONFIG_KEY =
  'sagemakerMlflow.localRepositories.root';

/** The configured directory of local repositories, absolute; undefined when the target is not configured. */
export function readLocalRepositoryRoot(config: Config): string | undefined {
  const root = config.getOptionalString(LOCAL_REPOSITORIES_CONFIG_KEY);
  return root ? path.resolve(root) : undefined;
}

/** The file:// URL of a path, with a trailing slash for directories so relative URLs resolve inside them. */
export function fileUrlOf(target: string, isDirectory = false): string {
  const url = pathToFileURL(target).href;
  return isDirectory && !url.endsWith('/') ? `${url}/` : url;
}
