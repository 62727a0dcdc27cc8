import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { parseAllDocuments } from 'yaml';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import {
  dryRunIntoDirectory,
  repoRoot,
  skeletonOnlyTemplate,
} from '../__testUtils__/templateBackend';

// Issue 12: the generated repository's own CI must pass for every valid input. The skeleton is rendered by the
// real scaffolder (its fetch:template, Nunjucks, in dry-run mode: no stack needed) for both CI variants, a local
// MLflow URL and a managed MLflow ARN, a short name and one of the form's maximum (40 characters); each rendering
// is then checked as its CI checks it (ruff check, ruff format --check, compileall), its CI file parsed and its
// IAM policy documents parsed and checked for shape.
const MANAGED_MLFLOW_ARN =
  'arn:aws:sagemaker:us-east-1:123456789012:mlflow-tracking-server/a-forty-character-tracking-server-name1';
const NAMES = ['churn-model', 'a-forty-character-model-name-at-the-max1'];
const TRACKING_URIS = { url: 'http://127.0.0.1:5000', arn: MANAGED_MLFLOW_ARN };
const CI_SYSTEMS = ['codebuild', 'github-actions'] as const;

// The fetch:template step alone, given the values template.yaml computes from its parameters.
const template = skeletonOnlyTemplate;

const valuesFor = (name: string, trackingUri: string, ciSystem: string) => ({
  name,
  description: 'A model of the render tests',
  owner: 'group:default/ml-platform',
  system: '',
  entityRef: `component:default/${name}`,
  packageName: name.replace(/-/g, '_'),
  pipelineName: `${name}-pipeline`,
  modelPackageGroupName: name,
  endpointName: `${name}-staging`,
  experimentName: name,
  registeredModelName: name,
  trackingServer: 'default',
  trackingUri,
  accountId: '123456789012',
  region: 'us-east-1',
  roleArn: `arn:aws:iam::123456789012:role/${name}-pipeline`,
  artifactBucket: `${name}-artifacts`,
  gateMetric: 'accuracy',
  gateThreshold: 0.9,
  ciSystem,
  annotations: {},
});

/** Runs a command in `cwd`; its exit status and output together, so a failure shows what the tool said. */
function run(cwd: string, command: string, ...args: string[]) {
  try {
    const output = execFileSync(command, args, {
      cwd,
      encoding: 'utf8',
      stdio: 'pipe',
    });
    return { status: 0, output };
  } catch (error: any) {
    return {
      status: error.status ?? -1,
      output: `${error.stdout ?? ''}${error.stderr ?? ''}${
        error.code === 'ENOENT' ? `${command} is not on PATH` : ''
      }`,
    };
  }
}

function onlyDocument(file: string) {
  const documents = parseAllDocuments(fs.readFileSync(file, 'utf8'));
  expect(documents).toHaveLength(1);
  const [document] = documents as any[];
  expect(document.errors).toEqual([]);
  return document.toJS();
}

const POLICIES = [
  'iam/ci-role-policy.json',
  'iam/pipeline-execution-role-policy.json',
  'iam/portal-backend-policy.json',
  'iam/release-staging-role-policy.json',
  'iam/release-production-role-policy.json',
];

/** An IAM identity policy's shape: every statement named, allowing named actions (never `*` or `service:*`). */
function expectPolicyShape(policy: any) {
  expect(policy.Version).toBe('2012-10-17');
  expect(Array.isArray(policy.Statement)).toBe(true);
  const sids = policy.Statement.map((s: any) => s.Sid);
  expect(new Set(sids).size).toBe(sids.length);
  for (const statement of policy.Statement) {
    expect(statement.Sid).toMatch(/^[A-Za-z0-9]+$/);
    expect(statement.Effect).toBe('Allow');
    const actions = [statement.Action].flat();
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions) {
      expect(action).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+$/);
    }
    const resources = [statement.Resource].flat();
    expect(resources.length).toBeGreaterThan(0);
    for (const resource of resources) {
      expect(resource === '*' || /^arn:aws[a-z-]*:/.test(resource)).toBe(true);
    }
  }
}

/** Action names per statement, without the statements' resources (which name one project or all). */
const actionsBySid = (policy: any) =>
  Object.fromEntries(
    policy.Statement.map((s: any) => [s.Sid, [s.Action].flat().sort()]),
  );

describe('the rendered skeleton passes its own CI for every valid input', () => {
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  const rendered: { label: string; dir: string; ci: string; uri: string }[] =
    [];

  beforeAll(async () => {
    backend = await startTestBackend({
      features: [
        mockServices.rootConfig.factory({
          data: { backend: { baseUrl: 'http://localhost:7007' } },
        }),
        // Permissions are not what this test is about.
        mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
        catalogPlugin,
        scaffolderPlugin,
      ],
    });
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rendered-skeleton-'));
    for (const ci of CI_SYSTEMS) {
      for (const [uriKind, uri] of Object.entries(TRACKING_URIS)) {
        for (const name of NAMES) {
          const label = `${ci}, ${uriKind}, ${name.length}-character name`;
          const dir = path.join(root, `${ci}-${uriKind}-${name.length}`);
          await dryRunIntoDirectory(
            backend.server,
            template,
            { values: valuesFor(name, uri, ci) },
            dir,
          );
          rendered.push({ label, dir, ci, uri });
        }
      }
    }
  }, 120_000);

  afterAll(() => backend?.stop());

  it('renders the eight combinations', () => {
    expect(rendered).toHaveLength(8);
  });

  it('lints with the ruff version the project pins, as its CI runs it', () => {
    // The project's CI installs the ruff its pyproject pins; this test must lint with that same version.
    const pyproject = fs.readFileSync(
      path.join(rendered[0].dir, 'pyproject.toml'),
      'utf8',
    );
    const pinned = pyproject.match(/"ruff==([0-9.]+)"/)?.[1];
    expect(pinned).toBeDefined();
    expect(run(rendered[0].dir, 'ruff', '--version').output.trim()).toBe(
      `ruff ${pinned}`,
    );

    const failures = rendered.flatMap(({ label, dir }) =>
      [
        ['ruff', 'check', '--no-cache', '.'],
        ['ruff', 'format', '--check', '--no-cache', '.'],
        ['python3', '-m', 'compileall', '-q', 'pipelines', 'tests'],
      ]
        .map(([command, ...args]) => ({
          label,
          check: [command, ...args].join(' '),
          ...run(dir, command, ...args),
        }))
        .filter(result => result.status !== 0),
    );
    expect(failures).toEqual([]);
  });

  it('writes CloudFormation for the release that cfn-lint passes', () => {
    // cfn-lint comes with the repository's venv, as ruff does; the project's own tests run it too.
    const failures = rendered
      .map(({ label, dir }) => ({
        label,
        ...run(
          dir,
          'cfn-lint',
          'infra/endpoint.yaml',
          'infra/release-trigger.yaml',
        ),
      }))
      .filter(result => result.status !== 0);
    expect(failures).toEqual([]);
  });

  it('writes a CodeBuild buildspec that trains only on main and caches pip', () => {
    for (const { dir, ci, uri } of rendered.filter(r => r.ci === 'codebuild')) {
      expect(fs.existsSync(path.join(dir, '.github'))).toBe(false);
      const buildspec = onlyDocument(path.join(dir, 'codebuild-buildspec.yml'));
      expect(buildspec.version).toBe(0.2);
      expect(buildspec.env.variables.MLFLOW_TRACKING_URI).toBe(uri);
      expect(buildspec.env.variables.TRAIN_BRANCH).toBe('main');
      expect(buildspec.cache.paths).toContain('/root/.cache/pip/**/*');
      const build = buildspec.phases.build.commands.join('\n');
      expect(build).toContain('CODEBUILD_WEBHOOK_HEAD_REF');
      expect(build).toContain('CODEBUILD_SOURCE_VERSION');
      expect(build).toMatch(/run-pipeline --wait/);
      expect(ci).toBe('codebuild');
    }
  });

  it("the buildspec's branch guard trains for main only, as CodeBuild's variables describe each build", () => {
    const { dir } = rendered.find(r => r.ci === 'codebuild')!;
    const buildspec = onlyDocument(path.join(dir, 'codebuild-buildspec.yml'));
    const guard = buildspec.phases.build.commands.find((c: string) =>
      c.includes('run-pipeline'),
    );
    // run-pipeline and the image build are stand-ins (no docker, no AWS here): the guard's decision is under test.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-bin-'));
    fs.writeFileSync(
      path.join(bin, 'run-pipeline'),
      '#!/bin/sh\necho TRAINED "$@"\n',
      { mode: 0o755 },
    );
    const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-build-'));
    fs.mkdirSync(path.join(workdir, 'ci'));
    fs.writeFileSync(
      path.join(workdir, 'ci', 'build-images.sh'),
      'echo STEP_IMAGE_URI=stand-in > images.env\n',
    );
    const trains = (variables: Record<string, string>) =>
      execFileSync('sh', ['-c', guard], {
        encoding: 'utf8',
        cwd: workdir,
        env: {
          PATH: `${bin}:${process.env.PATH}`,
          ...buildspec.env.variables,
          CODEBUILD_RESOLVED_SOURCE_VERSION: 'abc123',
          ...variables,
        },
      }).startsWith('TRAINED --wait');
    const cases: [string, Record<string, string>, boolean][] = [
      [
        'push to main (webhook)',
        {
          CODEBUILD_WEBHOOK_HEAD_REF: 'refs/heads/main',
          CODEBUILD_WEBHOOK_TRIGGER: 'branch/main',
          CODEBUILD_SOURCE_VERSION: 'abc123',
        },
        true,
      ],
      [
        'push to a feature branch',
        {
          CODEBUILD_WEBHOOK_HEAD_REF: 'refs/heads/feature',
          CODEBUILD_WEBHOOK_TRIGGER: 'branch/feature',
          CODEBUILD_SOURCE_VERSION: 'abc123',
        },
        false,
      ],
      [
        'pull request from a feature branch',
        {
          CODEBUILD_WEBHOOK_HEAD_REF: 'refs/heads/feature',
          CODEBUILD_WEBHOOK_TRIGGER: 'pr/7',
          CODEBUILD_SOURCE_VERSION: 'pr/7',
        },
        false,
      ],
      [
        "pull request from a fork's main",
        {
          CODEBUILD_WEBHOOK_HEAD_REF: 'refs/heads/main',
          CODEBUILD_WEBHOOK_TRIGGER: 'pr/8',
          CODEBUILD_SOURCE_VERSION: 'pr/8',
        },
        false,
      ],
      [
        'StartBuild of refs/heads/main',
        { CODEBUILD_SOURCE_VERSION: 'refs/heads/main' },
        true,
      ],
      ['StartBuild of main', { CODEBUILD_SOURCE_VERSION: 'main' }, true],
      [
        'StartBuild of a commit id',
        { CODEBUILD_SOURCE_VERSION: 'abc123' },
        false,
      ],
      [
        'StartBuild of another branch',
        { CODEBUILD_SOURCE_VERSION: 'refs/heads/mainly' },
        false,
      ],
      [
        'started by CodePipeline',
        {
          CODEBUILD_INITIATOR: 'codepipeline/model-build',
          CODEBUILD_SOURCE_VERSION: 'arn:aws:s3:::bucket/source.zip',
        },
        true,
      ],
    ];
    expect(
      cases.map(([label, variables]) => [label, trains(variables)]),
    ).toEqual(cases.map(([label, , expected]) => [label, expected]));
  });

  it('writes a GitHub Actions workflow with a concurrency group, a paths filter and a pip cache', () => {
    for (const { dir } of rendered.filter(r => r.ci === 'github-actions')) {
      expect(fs.existsSync(path.join(dir, 'codebuild-buildspec.yml'))).toBe(
        false,
      );
      const workflow = onlyDocument(
        path.join(dir, '.github/workflows/model-build.yml'),
      );
      expect(workflow.concurrency.group).toContain('${{ github.ref }}');
      expect(workflow.on.push['paths-ignore']).toEqual(
        expect.arrayContaining(['**.md']),
      );
      expect(workflow.jobs['run-pipeline'].if).toBe(
        "github.ref == 'refs/heads/main'",
      );
      // Two trainings never overlap: the second waits, none is cancelled half-way.
      expect(workflow.jobs['run-pipeline'].concurrency).toMatchObject({
        'cancel-in-progress': false,
      });
      for (const job of Object.values<any>(workflow.jobs)) {
        const setup = job.steps.find((s: any) =>
          `${s.uses}`.startsWith('actions/setup-python@'),
        );
        expect(setup.with).toMatchObject({ cache: 'pip' });
      }
      expect(workflow.jobs['run-pipeline'].steps.at(-1).run).toMatch(
        /^run-pipeline --wait /,
      );
    }
  });

  it("writes least-privilege IAM policies for the CI role, the pipeline's role and the portal, each scoped to the project", () => {
    const portalRoot = JSON.parse(
      fs.readFileSync(
        path.join(repoRoot, 'docs/iam/portal-backend-policy.json'),
        'utf8',
      ),
    );
    expectPolicyShape(portalRoot);
    for (const { dir, label, uri } of rendered) {
      for (const file of POLICIES) {
        const policy = JSON.parse(
          fs.readFileSync(path.join(dir, file), 'utf8'),
        );
        expectPolicyShape(policy);
        // Every value was substituted (a policy with `${{` left in would be refused by IAM).
        expect({ label, file, text: JSON.stringify(policy) }).not.toMatchObject(
          {
            text: expect.stringContaining('${{'),
          },
        );
        // Managed MLflow statements name the tracking server; with a self-hosted MLflow there are none.
        const mlflow = policy.Statement.filter((s: any) =>
          [s.Action]
            .flat()
            .some((a: string) => a.startsWith('sagemaker-mlflow:')),
        );
        // The CI role calls no MLflow; the steps and the portal do, on the tracking server only.
        const managed =
          uri.startsWith('arn:') && file !== 'iam/ci-role-policy.json';
        expect({
          label,
          file,
          resources: [...new Set(mlflow.map((s: any) => s.Resource))],
        }).toEqual({ label, file, resources: managed ? [uri] : [] });
      }
      const portal = JSON.parse(
        fs.readFileSync(
          path.join(dir, 'iam/portal-backend-policy.json'),
          'utf8',
        ),
      );
      // Reads and writes are separate statements, with the same actions as the portal-wide policy.
      const sids = portal.Statement.map((s: any) => s.Sid);
      expect(sids).toEqual(
        expect.arrayContaining(['PortalReads', 'PortalWrites']),
      );
      const expected = actionsBySid(portalRoot);
      for (const [sid, actions] of Object.entries(actionsBySid(portal))) {
        expect({ sid, actions }).toEqual({ sid, actions: expected[sid] });
      }
      // Only the portal's write statement may start, stop, approve or invoke.
      const writes = [
        'StartPipelineExecution',
        'StopPipelineExecution',
        'UpdateModelPackage',
        'InvokeEndpoint',
      ];
      for (const statement of portal.Statement) {
        const actions = [statement.Action]
          .flat()
          .map((a: string) => a.split(':')[1]);
        const writing = actions.filter((a: string) => writes.includes(a));
        expect({ sid: statement.Sid, writing }).toEqual({
          sid: statement.Sid,
          writing:
            statement.Sid === 'PortalWrites'
              ? writes.filter(w => actions.includes(w))
              : [],
        });
      }
      const pipelineRole = JSON.parse(
        fs.readFileSync(
          path.join(dir, 'iam/pipeline-execution-role-policy.json'),
          'utf8',
        ),
      );
      expect(JSON.stringify(pipelineRole)).toContain(':model-package-group/');
    }
  });

  it("the portal-wide policy names exactly the actions the root README's role table lists", () => {
    const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf("### The portal's AWS role"),
      readme.indexOf('### The shipped permission policy'),
    );
    const table = section
      .split('\n')
      .filter(line => line.startsWith('| '))
      .join('\n');
    const listed = new Set(
      [...table.matchAll(/`(?:sagemaker:)?([A-Z][A-Za-z]+)`/g)].map(m => m[1]),
    );
    const policy = JSON.parse(
      fs.readFileSync(
        path.join(repoRoot, 'docs/iam/portal-backend-policy.json'),
        'utf8',
      ),
    );
    const granted = new Set(
      policy.Statement.flatMap((s: any) =>
        [s.Action].flat().map((a: string) => a.split(':')[1]),
      ),
    );
    expect([...granted].sort()).toEqual([...listed].sort());
  });

  it('names each policy in the generated README', () => {
    for (const { dir } of rendered) {
      const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
      for (const file of POLICIES) expect(readme).toContain(file);
    }
  });
});
