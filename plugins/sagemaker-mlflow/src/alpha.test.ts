import plugin from './alpha';

describe('the New Frontend System plugin', () => {
  it('provides the API, the tab, the card, the search result item and the search result type', () => {
    const ids = [
      'api',
      'entity-content',
      'entity-card',
      'search-result-list-item',
      'search-filter-result-type',
    ].map(kind => `${kind}:sagemaker-mlflow`);
    for (const id of ids) {
      expect(plugin.getExtension(id as any)).toBeDefined();
    }
  });
});
