import plugin from './alpha';

describe('the New Frontend System plugin', () => {
  it('provides the API, the tab, the card, the search result item and type, and the template form field', () => {
    const ids = [
      'api',
      'entity-content',
      'entity-card',
      'search-result-list-item',
      'search-filter-result-type',
      'scaffolder-form-field:sagemaker-mlflow/mlflow-tracking-server-picker',
    ].map(id => (id.includes(':') ? id : `${id}:sagemaker-mlflow`));
    for (const id of ids) {
      expect(plugin.getExtension(id as any)).toBeDefined();
    }
  });
});
