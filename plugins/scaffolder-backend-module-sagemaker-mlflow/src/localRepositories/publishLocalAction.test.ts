import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPublishLocalAction } from './publishLocalAction';

// Real files and the real git binary in a temporary directory.
describe('sagemaker-mlflow:publish:local', () => {
  let root: string;
  let workspacePath: string;

  beforeEach(() => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'publish-local-'));
    root = path.join(base, 'repositories');
    workspacePath = path.join(base, 'workspace');
    fs.mkdirSync(path.join(workspacePath, 'pipelines'), { recursive: true });
    fs.writeFileSync(
      path.join(workspacePath, 'catalog-info.yaml'),
      'kind: Component\n',
    );
    fs.writeFileSync(
      path.join(workspacePath, 'pipelines', 'pipeline.py'),
      'STEPS = 4\n',
    );
  });

  const context = (input: object) =>
    createMockActionContext({ input: input as any, workspacePath });

  it('makes the workspace a git repository with one commit and outputs its file:// URLs', async () => {
    const ctx = context({
      repoName: 'churn-model',
      defaultBranch: 'main',
      gitCommitMessage: 'Create churn-model',
    });
    await createPublishLocalAction(root).handler(ctx);

    const repo = path.join(root, 'churn-model');
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: repo }).toString().trim();
    expect(git('log', '--format=%s')).toBe('Create churn-model');
    expect(git('branch', '--show-current')).toBe('main');
    expect(git('ls-files').split('\n').sort()).toEqual([
      'catalog-info.yaml',
      'pipelines/pipeline.py',
    ]);
    expect(ctx.output).toHaveBeenCalledWith(
      'repoContentsUrl',
      `file://${repo}/`,
    );
    expect(ctx.output).toHaveBeenCalledWith(
      'catalogInfoUrl',
      `file://${repo}/catalog-info.yaml`,
    );
  });

  it('applies its defaults when the template leaves them out: branch main, an initial commit', async () => {
    await createPublishLocalAction(root).handler(
      context({ repoName: 'churn-model' }),
    );
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: path.join(root, 'churn-model') })
        .toString()
        .trim();
    expect(git('branch', '--show-current')).toBe('main');
    expect(git('log', '--format=%s')).toBe('Initial commit');
  });

  it('its handler rejects a bad repository name with its own message, before writing anything', async () => {
    await expect(
      createPublishLocalAction(root).handler(context({ repoName: '../etc' })),
    ).rejects.toThrow(
      'repoName: repoName must be lowercase letters, digits, dots, underscores or hyphens',
    );
    expect(fs.existsSync(root)).toBe(false);
  });

  it('refuses to publish over an existing repository and leaves it as it was', async () => {
    const repo = path.join(root, 'churn-model');
    fs.mkdirSync(repo, { recursive: true });
    fs.writeFileSync(path.join(repo, 'NOTES.md'), 'work in progress\n');

    await expect(
      createPublishLocalAction(root).handler(
        context({
          repoName: 'churn-model',
          defaultBranch: 'main',
          gitCommitMessage: 'x',
        }),
      ),
    ).rejects.toThrow(/already exists in the local repositories directory/);
    expect(fs.readdirSync(repo)).toEqual(['NOTES.md']);
  });

  it('writes nothing in a dry run', async () => {
    const ctx = Object.assign(
      context({
        repoName: 'churn-model',
        defaultBranch: 'main',
        gitCommitMessage: 'x',
      }),
      { isDryRun: true },
    );
    await createPublishLocalAction(root).handler(ctx);
    expect(fs.existsSync(root)).toBe(false);
  });

  it('says how to turn the target on when no directory is configured', async () => {
    await expect(
      createPublishLocalAction(undefined).handler(
        context({
          repoName: 'churn-model',
          defaultBranch: 'main',
          gitCommitMessage: 'x',
        }),
      ),
    ).rejects.toThrow(/set sagemakerMlflow.localRepositories.root/);
  });

  it('refuses a sourcePath outside the workspace', async () => {
    await expect(
      createPublishLocalAction(root).handler(
        context({
          repoName: 'churn-model',
          sourcePath: '../..',
          defaultBranch: 'main',
          gitCommitMessage: 'x',
        }),
      ),
    ).rejects.toThrow(/sourcePath must stay inside the workspace/);
    expect(fs.existsSync(root)).toBe(false);
  });

  it('refuses a sourcePath that leaves the workspace through a symlink', async () => {
    fs.symlinkSync(os.tmpdir(), path.join(workspacePath, 'elsewhere'));
    await expect(
      createPublishLocalAction(root).handler(
        context({ repoName: 'churn-model', sourcePath: 'elsewhere' }),
      ),
    ).rejects.toThrow(/sourcePath must stay inside the workspace/);
    expect(fs.existsSync(root)).toBe(false);
  });

  it('refuses a branch name git would refuse, before writing anything', async () => {
    await expect(
      createPublishLocalAction(root).handler(
        context({ repoName: 'churn-model', defaultBranch: 'a..b' }),
      ),
    ).rejects.toThrow("defaultBranch 'a..b' is not a valid git branch name");
    expect(fs.existsSync(root)).toBe(false);
  });

  it('keeps relative symlinks relative, so they still resolve in the published repository', async () => {
    fs.symlinkSync(
      'pipelines/pipeline.py',
      path.join(workspacePath, 'link.py'),
    );
    await createPublishLocalAction(root).handler(
      context({ repoName: 'churn-model' }),
    );
    const link = path.join(root, 'churn-model', 'link.py');
    expect(fs.readlinkSync(link)).toBe('pipelines/pipeline.py');
    expect(fs.readFileSync(link, 'utf8')).toBe('STEPS = 4\n');
  });
});
