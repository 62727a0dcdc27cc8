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

  // A template can write any file into the workspace (fetch:plain:file, a skeleton), .git/config included: git
  // runs core.fsmonitor as a shell command, so publishing must neither copy that file nor let git read it.
  describe('a workspace that carries git configuration', () => {
    let marker: string;
    const writeHostileConfig = (dir: string) => {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(
        path.join(dir, 'config'),
        `[core]\n\tfsmonitor = "touch '${marker}'; false"\n`,
      );
    };
    const publishedFiles = (repo: string) =>
      execFileSync('git', ['ls-files'], { cwd: repo })
        .toString()
        .trim()
        .split('\n')
        .sort();

    beforeEach(() => {
      marker = path.join(path.dirname(root), 'fsmonitor-ran');
    });

    it('does not run the core.fsmonitor command of its .git/config, nor publish its .git', async () => {
      writeHostileConfig(path.join(workspacePath, '.git'));
      fs.writeFileSync(
        path.join(workspacePath, '.git', 'HEAD'),
        'ref: refs/heads/evil\n',
      );
      await createPublishLocalAction(root).handler(
        context({ repoName: 'churn-model' }),
      );
      expect(fs.existsSync(marker)).toBe(false);
      const repo = path.join(root, 'churn-model');
      // The repository's .git is the one git init made, not the workspace's.
      expect(
        fs.readFileSync(path.join(repo, '.git', 'config'), 'utf8'),
      ).not.toContain('fsmonitor');
      expect(fs.readFileSync(path.join(repo, '.git', 'HEAD'), 'utf8')).toBe(
        'ref: refs/heads/main\n',
      );
      expect(publishedFiles(repo)).toEqual([
        'catalog-info.yaml',
        'pipelines/pipeline.py',
      ]);
    });

    it('leaves out a .git at any depth (a gitfile naming a repository of its choice, another case) but keeps .gitmodules', async () => {
      const gitdir = path.join(workspacePath, 'sub', 'gitdir');
      writeHostileConfig(gitdir);
      fs.writeFileSync(
        path.join(workspacePath, 'sub', '.git'),
        `gitdir: ${gitdir}\n`,
      );
      fs.writeFileSync(path.join(workspacePath, 'sub', 'model.py'), 'X = 1\n');
      // On a case-insensitive file system git takes .GIT for .git.
      writeHostileConfig(path.join(workspacePath, 'other', '.GIT'));
      fs.writeFileSync(path.join(workspacePath, '.gitmodules'), '');
      await createPublishLocalAction(root).handler(
        context({ repoName: 'churn-model' }),
      );
      expect(fs.existsSync(marker)).toBe(false);
      const repo = path.join(root, 'churn-model');
      expect(fs.existsSync(path.join(repo, 'sub', '.git'))).toBe(false);
      expect(fs.existsSync(path.join(repo, 'other', '.GIT'))).toBe(false);
      expect(publishedFiles(repo)).toEqual([
        '.gitmodules',
        'catalog-info.yaml',
        'pipelines/pipeline.py',
        'sub/gitdir/config',
        'sub/model.py',
      ]);
    });

    it('refuses a sourcePath in a .git directory, directly or through a link', async () => {
      writeHostileConfig(path.join(workspacePath, '.git'));
      fs.symlinkSync('.git', path.join(workspacePath, 'project'));
      for (const sourcePath of ['.git', 'project']) {
        await expect(
          createPublishLocalAction(root).handler(
            context({ repoName: 'churn-model', sourcePath }),
          ),
        ).rejects.toThrow('sourcePath must not be in a .git directory');
      }
      expect(fs.existsSync(root)).toBe(false);
    });
  });
});
