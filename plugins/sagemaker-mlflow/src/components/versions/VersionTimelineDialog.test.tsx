import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { alertApiRef } from '@backstage/core-plugin-api';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  MockPermissionApi,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import {
  ModelVersionsPage,
  versionPath,
  VersionTimeline,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import { ReactElement } from 'react';
import { useLocation } from 'react-router-dom';
import { SWRConfig } from 'swr';
import {
  SageMakerMlflowApi,
  sagemakerMlflowApiRef,
} from '../../api/SageMakerMlflowApi';
import { demoEntity, version } from '../../__testUtils__/renderSection';
import { ModelVersionsSection } from './ModelVersionsSection';
import { VersionTimelineDialog } from './VersionTimelineDialog';

const timeline: VersionTimeline = {
  modelName: 'demo-model',
  version: '2',
  stages: [
    {
      kind: 'commit',
      title: 'Git commit 0123456789ab',
      status: 'succeeded',
      url: 'https://github.com/acme/demo-model/commit/0123456789abcdef',
      details: [{ label: 'commit', value: '0123456789abcdef' }],
    },
    {
      kind: 'build',
      title: 'CI build',
      status: 'not-recorded',
      message: 'The version’s run has no lineage.ci_build_url tag',
      details: [],
    },
    {
      kind: 'pipeline-execution',
      title: 'Pipeline execution',
      status: 'not-followed',
      message:
        "The run names execution arn:other, which is not of this entity's pipeline: it was not read",
      details: [],
    },
    {
      kind: 'approval',
      title: 'Approval: Approved',
      status: 'succeeded',
      time: '2026-11-01T10:00:00.000Z',
      url: 'https://console/pkg/2',
      details: [
        { label: 'comment', value: 'better recall' },
        { label: 'decided by', value: 'alice' },
      ],
    },
    {
      kind: 'deployment',
      title: 'Deployment to demo-model-staging',
      status: 'unavailable',
      message: 'SageMaker DescribeEndpoint: throttled',
      details: [],
    },
  ],
};

/** Where the app is: the drill-down keeps its state in the URL. */
function Location() {
  const { search } = useLocation();
  return <div data-testid="location-search">{search}</div>;
}

async function render(
  element: ReactElement,
  api: Partial<SageMakerMlflowApi>,
  path = '/catalog/default/component/demo-model/sagemaker-mlflow',
) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [sagemakerMlflowApiRef, api],
        [permissionApiRef, new MockPermissionApi(() => AuthorizeResult.ALLOW)],
        [alertApiRef, { post: jest.fn(), alert$: jest.fn() }],
      ]}
    >
      <SWRConfig value={{ provider: () => new Map() }}>
        <EntityProvider entity={demoEntity}>
          {element}
          <Location />
        </EntityProvider>
      </SWRConfig>
    </TestApiProvider>,
    { routeEntries: [path] },
  );
}

describe('VersionTimelineDialog', () => {
  it("opens from the tab's ?version= link (a notification's) with each stage's status, time, details and link", async () => {
    const getVersionTimeline = jest.fn().mockResolvedValue(timeline);
    await render(
      <VersionTimelineDialog />,
      { getVersionTimeline },
      versionPath(demoEntity as any, '2'),
    );
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText('Version 2 timeline')).toBeInTheDocument();
    expect(getVersionTimeline).toHaveBeenCalledWith(
      { kind: 'Component', namespace: 'default', name: 'demo-model' },
      '2',
    );
    const stage = (kind: string) => within(dialog).getByTestId(`stage-${kind}`);
    expect(
      await within(dialog).findByText('Git commit 0123456789ab'),
    ).toHaveAttribute(
      'href',
      'https://github.com/acme/demo-model/commit/0123456789abcdef',
    );
    expect(
      within(stage('commit')).getByLabelText('Succeeded'),
    ).toBeInTheDocument();
    expect(
      within(stage('build')).getByText(/Not recorded/),
    ).toBeInTheDocument();
    expect(
      within(stage('pipeline-execution')).getByText(
        /not of this entity's pipeline/,
      ),
    ).toBeInTheDocument();
    expect(
      within(stage('pipeline-execution')).getByLabelText('Not followed'),
    ).toBeInTheDocument();
    expect(
      within(stage('approval')).getByText('better recall'),
    ).toBeInTheDocument();
    expect(within(stage('approval')).getByText('alice')).toBeInTheDocument();
    expect(
      within(stage('approval')).getByText(
        new RegExp(
          new Date('2026-11-01T10:00:00.000Z')
            .toLocaleString()
            .replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
        ),
      ),
    ).toBeInTheDocument();
    expect(
      within(stage('approval')).getByText('Approval: Approved'),
    ).toHaveAttribute('href', 'https://console/pkg/2');
    // One stage's source failing leaves the others.
    expect(
      within(stage('deployment')).getByLabelText('Unavailable'),
    ).toBeInTheDocument();
    expect(
      within(stage('deployment')).getByText(/throttled/),
    ).toBeInTheDocument();
  });

  it('opens when a version is clicked in the table, and closing removes the parameter', async () => {
    const page: ModelVersionsPage = {
      modelName: 'demo-model',
      modelUrl: 'http://mlflow/#/models/demo-model',
      versions: {
        data: {
          items: [
            {
              ...version('2'),
              tags: {
                gate_metric: 'accuracy',
                'validation.demo-model-staging': '{"accuracy":1,"rows":20}',
              },
            },
            version('1'),
          ],
          aliases: {},
        },
      },
      modelPackages: { data: {} },
      bindings: [],
    };
    const getVersionTimeline = jest.fn().mockResolvedValue(timeline);
    await render(<ModelVersionsSection />, {
      getModelVersions: jest.fn().mockResolvedValue(page),
      getVersionTimeline,
    });
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    // A validation record is shown in the timeline, not as a tag in the table.
    expect(await screen.findByText('gate_metric=accuracy')).toBeInTheDocument();
    expect(screen.queryByText(/validation\.demo-model-staging/)).toBeNull();
    await userEvent.click(
      await screen.findByTitle('Open the timeline of version 2'),
    );
    expect(await screen.findByText('Version 2 timeline')).toBeInTheDocument();
    expect(screen.getByTestId('location-search')).toHaveTextContent(
      '?version=2',
    );
    expect(getVersionTimeline).toHaveBeenCalledWith(
      expect.objectContaining({ name: 'demo-model' }),
      '2',
    );
    await userEvent.click(screen.getByRole('button', { name: 'Close' }));
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    expect(screen.getByTestId('location-search')).toBeEmptyDOMElement();
  });

  it("shows the backend's error when the version cannot be read", async () => {
    await render(
      <VersionTimelineDialog />,
      {
        getVersionTimeline: jest
          .fn()
          .mockRejectedValue(new Error('No version 9 of demo-model')),
      },
      versionPath(demoEntity as any, '9'),
    );
    expect(
      await screen.findByText('Error: No version 9 of demo-model'),
    ).toBeInTheDocument();
  });
});
