import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import request from 'supertest';
import { parseAllDocuments } from 'yaml';
import {
  DescribeModelPackageGroupCommand,
  ListTagsCommand,
} from '@aws-sdk/client-sagemaker';
import { BINDING_TAG } from '@model-factory/plugin-sagemaker-mlflow-common';
import { testStack } from '../__testUtils__/stack';
import {
  dryRunIntoDirectory,
  GUEST,
  postTemplateTask,
  runTemplate,
  skeletonOnlyTemplate,
  startTemplateBackend,
  waitForEntity,
} from '../__testUtils__/templateBackend';

// Issue 9: what a template's caller types is data. The scaffolder's JSON schema check refuses what does not
// look like the value it stands for (entity refs, names), and the skeleton escapes every value for the
// language of the file it lands in, so free text comes out intact and never as YAML, TOML, Python or a command.
const stack = testStack();
const repositories =
  process.env.MODEL_FACTORY_TEST_REPOSITORIES ??
  fs.mkdtempSync(path.join(os.tmpdir(), 'model-factory-repositories-'));

const valid = {
  description: 'A model of the template input tests',
  owner: 'group:default/ml-platform',
  trackingServer: 'default',
  gateMetric: 'accuracy',
  gateThreshold: 0.9,
  accountId: '123456789012',
  region: 'us-east-1',
  roleArn: 'arn:aws:iam::123456789012:role/template-input-pipeline',
  artifactBucket: 'template-input-artifacts',
  ciSystem: 'codebuild',
};

// The payload of the report: a second entity after the owner, in the catalog-info.yaml the template writes.
const SMUGGLING_OWNER = [
  'group:default/ml-platform',
  '---',
  'apiVersion: backstage.io/v1alpha1',
  'kind: Component',
  'metadata:',
  '  name: smuggled',
  'spec:',
  '  type: service',
  '  lifecycle: production',
  '  owner: group:default/ml-platform',
].join('\n');

// Everything that means something in YAML, TOML, Python, shell, Markdown or the templating language.
const HOSTILE_TEXT = [
  `He said "hi" and 'bye' \\ C:\\new\\table`,
  '${{ values.name }} {% raw %}{{ x }}{% endraw %} {# c #}',
  '# not a comment',
  '---',
  'kind: Component',
  '"""\'\'\' $(touch /tmp/pwned) `id` ; rm -rf ~',
  'line\u2028separator\u2029paragraph\r\nend',
].join('\n');

// The same, as one line: what the template accepts (SageMaker refuses control characters in a description).
const HOSTILE_LINE = HOSTILE_TEXT.replace(/\r?\n/g, ' ');

const python = (script: string, ...args: string[]) =>
  JSON.parse(
    execFileSync('python3', ['-c', script, ...args], {
      encoding: 'utf8',
    }),
  );

const parseToml = (file: string) =>
  python(
    'import json, sys, tomllib; print(json.dumps(tomllib.load(open(sys.argv[1], "rb"))))',
    file,
  );

// Parses every .py file under a directory (a syntax error fails) and returns each module's string settings:
// NAME = "literal" and NAME = _env("NAME", "literal"), read from the syntax tree, never by running the code.
const pythonSettings = (dir: string) =>
  python(
    `
import ast, json, pathlib, sys
found = {}
for file in sorted(pathlib.Path(sys.argv[1]).rglob("*.py")):
    tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            value = node.value
            if isinstance(value, ast.Call) and getattr(value.func, "id", "") == "_env":
                value = value.args[1]
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                values[node.targets[0].id] = value.value
    found[str(file.relative_to(sys.argv[1]))] = values
print(json.dumps(found))
`,
    dir,
  );

function onlyDocument(file: string) {
  const documents = parseAllDocuments(fs.readFileSync(file, 'utf8'));
  expect(documents).toHaveLength(1);
  const [document] = documents as any[];
  expect(document.errors).toEqual([]);
  return document.toJS();
}

describe('template input is data, never YAML or code', () => {
  let server: any;

  beforeAll(async () => {
    server = await startTemplateBackend(stack, repositories);
  }, 120_000);

  it('refuses an owner that smuggles a second entity with a 400, before anything is created', async () => {
    const name = 'smuggling-model';
    const res = await postTemplateTask(server, {
      ...valid,
      name,
      owner: SMUGGLING_OWNER,
    });

    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: any) => e.property)).toEqual([
      'instance.owner',
    ]);
    const mlflow = (what: string) =>
      fetch(`${stack.mlflowUrl}/api/2.0/mlflow/${what}`).then(r => r.status);
    expect(await mlflow(`registered-models/get?name=${name}`)).toBe(404);
    expect(
      await mlflow(`experiments/get-by-name?experiment_name=${name}`),
    ).toBe(404);
    expect(fs.existsSync(path.join(repositories, name))).toBe(false);
    const smuggled = await request(server)
      .get('/api/catalog/entities/by-name/component/default/smuggled')
      .set('Authorization', GUEST);
    expect(smuggled.status).toBe(404);
  });

  it('refuses with a 400 what is not an entity ref, and a description SageMaker would refuse', async () => {
    const refused = async (values: object) => {
      const res = await postTemplateTask(server, {
        ...valid,
        name: 'refused-model',
        ...values,
      });
      expect(res.status).toBe(400);
      return res.body.errors.map((e: any) => e.property);
    };
    expect(
      await refused({
        system: 'system:default/x\n  owner: user:default/mallory',
        owner: 'group:default/ml-platform # and more',
      }),
    ).toEqual(['instance.owner', 'instance.system']);
    expect(await refused({ system: 'group:default/ml-platform' })).toEqual([
      'instance.system',
    ]);
    // Newline, tab, DEL, a C1 control and a lone surrogate: each breaks a file format or SageMaker's pattern.
    for (const bad of ['a\nb', 'a\tb', 'a\u007fb', 'a\u0085b', 'a\ud800b']) {
      expect(await refused({ description: bad })).toEqual([
        'instance.description',
      ]);
    }
    expect(
      (
        await fetch(
          `${stack.mlflowUrl}/api/2.0/mlflow/registered-models/get?name=refused-model`,
        )
      ).status,
    ).toBe(404);
  });

  describe('a description full of syntax, with the refs the pickers produce', () => {
    const name = 'hostile-text-model';
    const entityRef = `component:default/${name}`;
    const repo = path.join(repositories, name);

    beforeAll(async () => {
      const run = await runTemplate(server, {
        ...valid,
        name,
        description: HOSTILE_LINE,
        owner: 'user:default/guest',
        system: 'system:default/model-factory-demo',
      });
      if (run.status !== 'completed') {
        throw new Error(`the template run ${run.status}:\n${run.log}`);
      }
    }, 180_000);

    it('round-trips intact into the catalog, MLflow, SageMaker and the repository', async () => {
      const entity = await waitForEntity(server, `component/default/${name}`);
      expect(entity.status).toBe(200);
      expect(entity.body.metadata.description).toBe(HOSTILE_LINE);
      expect(entity.body.spec).toMatchObject({
        owner: 'user:default/guest',
        system: 'system:default/model-factory-demo',
      });
      const published = onlyDocument(path.join(repo, 'catalog-info.yaml'));
      expect(published.metadata.description).toBe(HOSTILE_LINE);

      const model = await fetch(
        `${stack.mlflowUrl}/api/2.0/mlflow/registered-models/get?name=${name}`,
      ).then(r => r.json());
      expect(model.registered_model.description).toBe(HOSTILE_LINE);
      const group = await stack.sagemaker.send(
        new DescribeModelPackageGroupCommand({ ModelPackageGroupName: name }),
      );
      expect(group.ModelPackageGroupDescription).toBe(HOSTILE_LINE);

      expect(
        parseToml(path.join(repo, 'pyproject.toml')).project.description,
      ).toBe(HOSTILE_LINE.replace(/[\u2028\u2029]/g, ' '));
      expect(fs.readFileSync(path.join(repo, 'README.md'), 'utf8')).toContain(
        HOSTILE_LINE,
      );
    });

    it('binds what the template created, and the project, to the new component', async () => {
      const tags = (list: { key: string; value: string }[] = []) =>
        Object.fromEntries(list.map(t => [t.key, t.value]));
      const model = await fetch(
        `${stack.mlflowUrl}/api/2.0/mlflow/registered-models/get?name=${name}`,
      ).then(r => r.json());
      expect(tags(model.registered_model.tags)[BINDING_TAG]).toBe(entityRef);
      const experiment = await fetch(
        `${stack.mlflowUrl}/api/2.0/mlflow/experiments/get-by-name?experiment_name=${name}`,
      ).then(r => r.json());
      expect(tags(experiment.experiment.tags)[BINDING_TAG]).toBe(entityRef);
      const group = await stack.sagemaker.send(
        new DescribeModelPackageGroupCommand({ ModelPackageGroupName: name }),
      );
      const groupTags = await stack.sagemaker.send(
        new ListTagsCommand({ ResourceArn: group.ModelPackageGroupArn }),
      );
      expect(
        groupTags.Tags?.filter(t => t.Key === BINDING_TAG).map(t => t.Value),
      ).toEqual([entityRef]);

      // The project tags its pipeline and endpoint with this (tested by its own pytest).
      const settings = pythonSettings(path.join(repo, 'pipelines'))[
        'hostile_text_model/settings.py'
      ];
      expect(settings.ENTITY_REF).toBe(entityRef);
    });
  });

  describe('the skeleton alone, given hostile values (the real fetch:template, without the template patterns)', () => {
    // Each value must be escaped where it lands, whatever the template's patterns let through.
    const template = skeletonOnlyTemplate;
    const trackingUri = `http://mlflow.test/x'y"z\\w#{{ a }}\u2028\n- run: curl evil`;
    const system = 'system:default/x\n  smuggled: yes';
    const annotation = `arn:aws:sagemaker:us-east-1:123456789012:pipeline/p\n  injected: "yes"`;
    const values = {
      name: 'hostile-model',
      description: HOSTILE_TEXT,
      owner: SMUGGLING_OWNER,
      system,
      entityRef: 'component:default/hostile-model',
      packageName: 'hostile_model',
      pipelineName: 'hostile-model-pipeline',
      modelPackageGroupName: 'hostile-model',
      endpointName: 'hostile-model-staging',
      experimentName: 'hostile-model',
      registeredModelName: 'hostile-model',
      trackingServer: 'default',
      trackingUri,
      accountId: '123456789012',
      region: 'us-east-1',
      roleArn: 'arn:aws:iam::123456789012:role/hostile-model-pipeline',
      artifactBucket: 'hostile-model-artifacts',
      gateMetric: 'accuracy',
      gateThreshold: 0.9,
      annotations: { 'aws.amazon.com/sagemaker-pipeline-arn': annotation },
    };
    const rendered: Record<string, string> = {};

    beforeAll(async () => {
      for (const ciSystem of ['codebuild', 'github-actions']) {
        rendered[ciSystem] = fs.mkdtempSync(
          path.join(os.tmpdir(), 'hostile-skeleton-'),
        );
        await dryRunIntoDirectory(
          server,
          template,
          { values: { ...values, ciSystem } },
          rendered[ciSystem],
        );
      }
    }, 60_000);

    it('catalog-info.yaml is one entity with the values intact', () => {
      const entity = onlyDocument(
        path.join(rendered.codebuild, 'catalog-info.yaml'),
      );
      expect(entity.metadata.description).toBe(HOSTILE_TEXT);
      expect(entity.metadata.annotations).toEqual({
        'aws.amazon.com/sagemaker-pipeline-arn': annotation,
      });
      expect(entity.spec.owner).toBe(SMUGGLING_OWNER);
      expect(entity.spec.system).toBe(system);
    });

    it('pyproject.toml parses, with the description as its one-line summary', () => {
      // A package summary is one line (setuptools keeps the first, packaging refuses U+2028): breaks become spaces.
      const pyproject = parseToml(
        path.join(rendered.codebuild, 'pyproject.toml'),
      );
      expect(pyproject.project.name).toBe('hostile-model');
      expect(pyproject.project.description).toBe(
        HOSTILE_TEXT.replace(/[\r\n\u2028\u2029]/g, ' '),
      );
    });

    it('every Python file parses, and the settings hold the values as string literals', () => {
      const settings = pythonSettings(
        path.join(rendered.codebuild, 'pipelines'),
      )['hostile_model/settings.py'];
      expect(settings).toMatchObject({
        MLFLOW_TRACKING_URI: trackingUri,
        ENTITY_REF: 'component:default/hostile-model',
        MODEL_NAME: 'hostile-model',
      });
      expect(
        Object.keys(pythonSettings(path.join(rendered.codebuild, 'tests'))),
      ).toContain('conftest.py');
    });

    it('the IAM policies parse, each a JSON document whatever the values', () => {
      for (const ciSystem of ['codebuild', 'github-actions']) {
        for (const file of fs.readdirSync(
          path.join(rendered[ciSystem], 'iam'),
        )) {
          const policy = JSON.parse(
            fs.readFileSync(path.join(rendered[ciSystem], 'iam', file), 'utf8'),
          );
          expect(policy.Version).toBe('2012-10-17');
        }
      }
      const pipelineRole = JSON.parse(
        fs.readFileSync(
          path.join(
            rendered.codebuild,
            'iam/pipeline-execution-role-policy.json',
          ),
          'utf8',
        ),
      );
      expect(
        pipelineRole.Statement.find(
          (s: any) => s.Sid === 'PassOwnRoleToStepJobs',
        ).Resource,
      ).toBe(values.roleArn);
    });

    it('the README shows the description as written', () => {
      const readme = fs.readFileSync(
        path.join(rendered.codebuild, 'README.md'),
        'utf8',
      );
      expect(readme).toContain(HOSTILE_TEXT);
    });

    it('the CodeBuild buildspec holds the values in env only, its commands unchanged', () => {
      const buildspec = onlyDocument(
        path.join(rendered.codebuild, 'codebuild-buildspec.yml'),
      );
      expect(buildspec.env.variables.MLFLOW_TRACKING_URI).toBe(trackingUri);
      const [definition, guarded] = buildspec.phases.build.commands;
      expect(definition).toBe(
        'get-pipeline-definition --file-name pipeline.json',
      );
      // The branch guard reads only CodeBuild's own variables; no value of the template reaches it.
      expect(guarded).toContain(
        'run-pipeline --wait --description "CodeBuild ${CODEBUILD_RESOLVED_SOURCE_VERSION}"',
      );
      expect(guarded).not.toContain('mlflow.test');
    });

    it("the GitHub Actions workflow keeps its own ${{ }} expressions, and a value's quotes are doubled in them", () => {
      const workflow = onlyDocument(
        path.join(
          rendered['github-actions'],
          '.github/workflows/model-build.yml',
        ),
      );
      expect(workflow.env.MLFLOW_TRACKING_URI).toBe(
        `\${{ vars.MLFLOW_TRACKING_URI || '${trackingUri.replace(
          /'/g,
          "''",
        )}' }}`,
      );
      expect(Object.keys(workflow.jobs)).toEqual(['test', 'run-pipeline']);
      expect(workflow.jobs['run-pipeline'].steps.at(-1).run).toBe(
        'run-pipeline --wait --description "GitHub ${{ github.sha }}"',
      );
    });
  });
});
