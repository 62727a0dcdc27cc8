import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { ConflictError, InputError } from '@backstage/errors';
import { executeShellCommand } from '@backstage/plugin-scaffolder-node';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createValidatedTemplateAction } from '../actions/inputFields';
import {
  fileUrlOf,
  LOCAL_REPOSITORIES_CONFIG_KEY,
} from './localRepositoryRoot';

/**
 * Every git command runs with these: the workspace is written by a template, so nothing in it may make git run a
 * program. The workspace's .git never reaches the repository (see {@link isGitDir}); these keep a command-running
 * setting off even so, and the commit needs no hooks, signing or network.
 */
const SAFE_GIT = [
  ['core.fsmonitor', 'false'],
  ['core.hooksPath', '/dev/null'],
  ['init.templateDir', ''],
  ['commit.gpgSign', 'false'],
  ['protocol.allow', 'never'],
  ['core.excludesFile', '/dev/null'],
  ['core.attributesFile', '/dev/null'],
  ['user.name', 'Model Factory'],
  ['user.email', 'scaffolder@model-factory.local'],
].flatMap(([key, value]) => ['-c', `${key}=${value}`]);

/**
 * git's environment: PATH to find it and a HOME, nothing inherited from the backend's (a GIT_DIR, GIT_CONFIG_*,
 * GIT_SSH_COMMAND would steer it); no system or user config file, so the backend user's settings cannot change
 * what is published either.
 */
function gitEnvironment(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: os.tmpdir(),
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
  };
}

/**
 * A path git takes for a repository's own directory (or a gitfile pointing at one), at any depth: .git in any
 * case, since git on a case-insensitive file system reads .GIT/config too. .gitmodules and .gitignore are files
 * of the project and are kept.
 */
function isGitDir(file: string): boolean {
  return path.basename(file).toLowerCase() === '.git';
}

/**
 * The local publish target: makes the workspace a git repository under the configured local repositories
 * directory, for machines without a git host. Its catalogInfoUrl is a file:// URL that catalog:register reads
 * through the local repository URL reader.
 */
export function createPublishLocalAction(root: string | undefined) {
  return createValidatedTemplateAction({
    id: 'sagemaker-mlflow:publish:local',
    description: `Publishes the workspace as a new git repository in the local repositories directory (${LOCAL_REPOSITORIES_CONFIG_KEY}); for a portal without a git host.`,
    supportsDryRun: true,
    examples: [
      {
        description: 'Publish the new model project and register it',
        example: [
          'steps:',
          '  - id: publish',
          '    action: sagemaker-mlflow:publish:local',
          '    input:',
          '      repoName: churn-model',
          '  - id: register',
          '    action: catalog:register',
          '    input:',
          '      catalogInfoUrl: ${{ steps.publish.output.catalogInfoUrl }}',
        ].join('\n'),
      },
    ],
    schema: {
      input: {
        repoName: z =>
          z
            .string()
            .regex(
              /^[a-z0-9][a-z0-9._-]{0,99}$/,
              'repoName must be lowercase letters, digits, dots, underscores or hyphens',
            )
            .describe('Directory name of the new repository'),
        sourcePath: z =>
          z
            .string()
            .optional()
            .describe('Subdirectory of the workspace to publish'),
        defaultBranch: z =>
          z
            .string()
            .regex(/^\w[\w./-]*$/, 'defaultBranch must be a branch name')
            .default('main'),
        gitCommitMessage: z => z.string().min(1).default('Initial commit'),
      },
      output: {
        remoteUrl: z => z.string(),
        repoContentsUrl: z => z.string(),
        catalogInfoUrl: z => z.string(),
      },
    },
    async handler(ctx) {
      if (!root) {
        throw new InputError(
          `The local publish target is off: set ${LOCAL_REPOSITORIES_CONFIG_KEY} in app-config, or use a git host's publish action`,
        );
      }
      let source: string;
      try {
        // Resolves symlinks too: a link in the workspace cannot lead the copy outside it.
        source = resolveSafeChildPath(
          ctx.workspacePath,
          ctx.input.sourcePath ?? '.',
        );
      } catch {
        throw new InputError('sourcePath must stay inside the workspace');
      }
      // Through links too: a sourcePath that is (or leads into) a .git would publish one.
      const real = (p: string) => fs.promises.realpath(p).catch(() => p);
      const inside = path.relative(
        await real(ctx.workspacePath),
        await real(source),
      );
      if (inside.split(path.sep).some(isGitDir)) {
        throw new InputError('sourcePath must not be in a .git directory');
      }
      await refuseBadBranchName(ctx.input.defaultBranch);
      const target = path.join(root, ctx.input.repoName);
      const repoContentsUrl = fileUrlOf(target, true);
      ctx.output('remoteUrl', repoContentsUrl);
      ctx.output('repoContentsUrl', repoContentsUrl);
      ctx.output('catalogInfoUrl', `${repoContentsUrl}catalog-info.yaml`);
      const exists = () =>
        new ConflictError(
          `A repository named '${ctx.input.repoName}' already exists in the local repositories directory: choose another name`,
        );
      // Never overwrite: the repository may hold someone's work since it was created.
      if (fs.existsSync(target)) throw exists();
      if (ctx.isDryRun) {
        ctx.logger.info(`Would publish ${source} to ${target}`);
        return;
      }
      await fs.promises.mkdir(root, { recursive: true });
      // Claiming the directory is atomic: of two tasks publishing the same name, one gets the conflict.
      await fs.promises.mkdir(target).catch(error => {
        throw error.code === 'EEXIST' ? exists() : error;
      });
      const git = (...args: string[]) =>
        executeShellCommand({
          command: 'git',
          args: [...SAFE_GIT, ...args],
          options: { cwd: target, env: gitEnvironment() },
          logger: ctx.logger,
        });
      try {
        // Into the empty directory claimed above; relative links stay relative (not pointing into the workspace).
        // A template may have written a .git (config, hooks, a gitfile): never copied, git init makes the only one.
        await fs.promises.cp(source, target, {
          recursive: true,
          verbatimSymlinks: true,
          filter: file => !isGitDir(file),
        });
        await git('init', '--quiet', '-b', ctx.input.defaultBranch);
        await git('add', '--all');
        await git('commit', '--quiet', '-m', ctx.input.gitCommitMessage);
      } catch (error) {
        // What this task claimed and half wrote goes, so a re-run starts clean.
        await fs.promises.rm(target, { recursive: true, force: true });
        throw error;
      }
      ctx.logger.info(`Published ${ctx.input.repoName} to ${target}`);
    },
  });
}

/** git's own rule for branch names (`a..b`, `x.lock`, ... are refused), as a clear input error. */
async function refuseBadBranchName(branch: string) {
  const valid = await new Promise<boolean>(resolve =>
    execFile(
      'git',
      [...SAFE_GIT, 'check-ref-format', '--branch', branch],
      { env: gitEnvironment(), cwd: os.tmpdir() },
      error => resolve(!error),
    ),
  );
  if (!valid) {
    throw new InputError(
      `defaultBranch '${branch}' is not a valid git branch name`,
    );
  }
}
