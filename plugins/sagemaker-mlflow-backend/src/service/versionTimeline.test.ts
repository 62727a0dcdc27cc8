import type { Entity } from '@backstage/catalog-model';
import { repositoryUrl } from './versionTimeline';

const entity = (annotations: Record<string, string>): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'churn-model', annotations },
});

describe('the repository a commit links to', () => {
  it("is the entity's GitHub project, else the repository of its source location", () => {
    expect(
      repositoryUrl(entity({ 'github.com/project-slug': 'acme/churn-model' })),
    ).toBe('https://github.com/acme/churn-model');
    expect(
      repositoryUrl(
        entity({
          'backstage.io/source-location':
            'url:https://git.example.com/acme/churn-model.git/tree/main/',
        }),
      ),
    ).toBe('https://git.example.com/acme/churn-model');
  });

  it('is none for an annotation that names no web repository', () => {
    expect(repositoryUrl(entity({}))).toBeUndefined();
    expect(
      repositoryUrl(entity({ 'github.com/project-slug': 'acme/x/../../evil' })),
    ).toBeUndefined();
    expect(
      repositoryUrl(
        // eslint-disable-next-line no-script-url -- the hostile annotation under test
        entity({ 'backstage.io/source-location': 'url:javascript:alert(1)' }),
      ),
    ).toBeUndefined();
    expect(
      repositoryUrl(
        entity({ 'backstage.io/source-location': 'url:https://example.com/' }),
      ),
    ).toBeUndefined();
  });
});
