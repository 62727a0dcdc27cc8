import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { ConflictError, InputError } from '@backstage/errors';
import { executeShellCommand } from '@backstage/plugin-scaffolder-node';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createValidatedTemplateAction } from '../actions/inputFields';
import {
  fileUrlOf,
  LOCAL_REPOSITORIES_CONFIG_KEY,
} from './localRepositoryRoot';

const GIT_AUTHOR = [
  '-c',
  'user.name=Model Factory',
  '-c',
  'user.email=scaffolder@model-factory.local',
];

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
          args,
          options: { cwd: target },
          logger: ctx.logger,
        });
      try {
        // Into the empty directory claimed above; relative links stay relative (not pointing into the workspace).
        await fs.promises.cp(source, target, {
          recursive: true,
          verbatimSymlinks: true,
        });
        await git('init', '--quiet', '-b', ctx.input.defaultBranch);
        await git('add', '--all');
        await git(
          ...GIT_AUTHOR,
          'commit',
          '--quiet',
          '-m',
          ctx.input.gitCommitMessage,
        );
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
    execFile('git', ['check-ref-format', '--branch', branch], error =>
      resolve(!error),
    ),
  );
  if (!valid) {
    throw new InputError(
      `defaultBranch '${branch}' is not a valid git branch name`,
    );
  }
}
