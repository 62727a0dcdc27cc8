import {
  paginateListPipelineExecutionSteps,
  paginateListPipelineParametersForExecution,
  Parameter,
  PipelineExecutionStep,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import {
  awsCall,
  UpstreamError,
} from '@model-factory/plugin-sagemaker-mlflow-node';

/** The most either list API returns per page. */
const PAGE_SIZE = 100;
/**
 * Pages read at most: 2,000 steps and 1,000 parameters, far beyond what a pipeline has. Only a server that keeps
 * handing out new tokens gets there, and is then an error, not a list silently cut short.
 */
export const MAX_STEP_PAGES = 20;
export const MAX_PARAMETER_PAGES = 10;

/**
 * Every item of a paginated list, page by page. Each page is a call of its own through the client, so the request's
 * deadline (the client's middleware) ends the reading at the next page, however many are left.
 */
async function allPages<P, T>(
  service: string,
  pages: AsyncIterable<P>,
  itemsOf: (page: P) => T[] | undefined,
  maxPages: number,
): Promise<T[]> {
  return awsCall(service, async () => {
    const items: T[] = [];
    let read = 0;
    for await (const page of pages) {
      if (++read > maxPages) {
        throw new UpstreamError(
          service,
          `more than ${maxPages} pages of ${PAGE_SIZE}; stopped reading`,
        );
      }
      items.push(...(itemsOf(page) ?? []));
    }
    return items;
  });
}

/** Every step of an execution, in the order they started. */
export function allSteps(
  client: SageMakerClient,
  executionArn: string,
  maxPages = MAX_STEP_PAGES,
): Promise<PipelineExecutionStep[]> {
  return allPages(
    'SageMaker ListPipelineExecutionSteps',
    paginateListPipelineExecutionSteps(
      { client, pageSize: PAGE_SIZE, stopOnSameToken: true },
      { PipelineExecutionArn: executionArn, SortOrder: 'Ascending' },
    ),
    page => page.PipelineExecutionSteps,
    maxPages,
  );
}

/** Every parameter an execution ran with. */
export function allParameters(
  client: SageMakerClient,
  executionArn: string,
  maxPages = MAX_PARAMETER_PAGES,
): Promise<Parameter[]> {
  return allPages(
    'SageMaker ListPipelineParametersForExecution',
    paginateListPipelineParametersForExecution(
      { client, pageSize: PAGE_SIZE, stopOnSameToken: true },
      { PipelineExecutionArn: executionArn },
    ),
    page => page.PipelineParameters,
    maxPages,
  );
}
