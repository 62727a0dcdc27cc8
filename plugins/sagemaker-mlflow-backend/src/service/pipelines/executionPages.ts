import {
  DescribePipelineExecutionCommand,
  ListPipelineExecutionsCommand,
  PipelineExecutionSummary,
  SageMakerClient,
  UserContext,
} from '@aws-sdk/client-sagemaker';
import {
  awsCall,
  SageMakerArn,
} from '@model-factory/plugin-sagemaker-mlflow-node';
import pLimit from 'p-limit';
import { PageToken, pageOf, withUpstreamToken } from '../pageToken';
import type { ServiceDeps } from '../types';

// Executions of one page described at once: a page of 20 is two rounds, of 100 ten.
const DESCRIBE_CONCURRENCY = 10;
// A succeeded execution never changes again (a failed one may be retried under the same ARN).
const SUCCEEDED_TTL_MS = 24 * 3600_000;

export type DescribedSummary = PipelineExecutionSummary & {
  LastModifiedTime?: string;
  CreatedBy?: UserContext;
};

/**
 * One page of a pipeline's executions, newest first. The list has no end time or starter, so each execution of the
 * page is described too, a few at a time (one that cannot be described keeps its list entry).
 */
export async function describedPage(
  deps: Pick<ServiceDeps, 'cache'>,
  client: SageMakerClient,
  pipeline: SageMakerArn,
  size: number,
  page: PageToken,
): Promise<{
  items: DescribedSummary[];
  nextPageToken?: string;
  /** False when an execution could not be described: the page is served, not kept. */
  whole: boolean;
}> {
  const res = await withUpstreamToken(page, () =>
    awsCall('SageMaker ListPipelineExecutions', () =>
      client.send(
        new ListPipelineExecutionsCommand({
          PipelineName: pipeline.resourceName,
          SortBy: 'CreationTime',
          SortOrder: 'Descending',
          MaxResults: size,
          NextToken: page.upstream,
        }),
      ),
    ),
  );
  // Newest first, whatever order the server (the emulator) returned them in.
  const all = [...(res.PipelineExecutionSummaries ?? [])].sort(
    (a, b) => (b.StartTime?.getTime() ?? 0) - (a.StartTime?.getTime() ?? 0),
  );
  const shown = pageOf(all, page, size, res.NextToken);
  const nextPageToken = shown.nextPageToken;
  const limit = pLimit(DESCRIBE_CONCURRENCY);
  let whole = true;
  const items = await Promise.all(
    shown.items.map(async summary => {
      const described = await limit(() => endAndStarter(deps, client, summary));
      whole &&= described !== undefined;
      return { ...summary, ...described };
    }),
  );
  return { items, nextPageToken, whole };
}

/**
 * When an execution last changed (its end, once finished) and who started it. A succeeded execution's never
 * changes: it is a fact, kept for a day across every entity and write, so a page seen before describes only the
 * others.
 */
function endAndStarter(
  deps: Pick<ServiceDeps, 'cache'>,
  client: SageMakerClient,
  summary: PipelineExecutionSummary,
): Promise<
  Pick<DescribedSummary, 'LastModifiedTime' | 'CreatedBy'> | undefined
> {
  const describe = () =>
    client
      .send(
        new DescribePipelineExecutionCommand({
          PipelineExecutionArn: summary.PipelineExecutionArn,
        }),
      )
      .then(d => ({
        LastModifiedTime: d.LastModifiedTime?.toISOString(),
        CreatedBy: {
          UserProfileName: d.CreatedBy?.UserProfileName,
          IamIdentity: { Arn: d.CreatedBy?.IamIdentity?.Arn },
        },
      }));
  const described =
    summary.PipelineExecutionStatus === 'Succeeded'
      ? deps.cache.fact(
          `succeeded-execution:${summary.PipelineExecutionArn}`,
          describe,
          SUCCEEDED_TTL_MS,
        )
      : describe();
  // One that cannot be described keeps its list entry (and a failure is never cached).
  return described.catch(() => undefined);
}
