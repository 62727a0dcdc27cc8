import { createServiceFactory } from '@backstage/backend-plugin-api';
import { urlReaderFactoriesServiceRef } from '@backstage/backend-defaults/urlReader';
import { LocalRepositoryUrlReader } from './LocalRepositoryUrlReader';

/**
 * Lets every plugin's URL reader (the catalog's above all) read the local publish target's repositories.
 * Add it to the backend next to this module; it reads nothing unless sagemakerMlflow.localRepositories.root is set.
 */
export const localRepositoryUrlReader = createServiceFactory({
  service: urlReaderFactoriesServiceRef,
  deps: {},
  async factory() {
    return LocalRepositoryUrlReader.factory;
  },
});
