export interface Config {
  sagemakerMlflow?: {
    /**
     * The local publish target of the create-model-project template: repositories are created as git
     * repositories under this directory and read back by the catalog through file:// URLs. For a machine
     * without a git host (the local stack); leave unset in production.
     */
    localRepositories?: {
      /** Directory for published repositories, absolute or relative to the backend's working directory. */
      root: string;
    };
  };
}
