/**
 * @jest-environment node
 */
import { ResponseError } from '@backstage/errors';
import { SageMakerMlflowClient } from './SageMakerMlflowApi';

// No backend runs in a frontend unit test: fetch records what the client sends and answers as the backend would.
// The e2e layer runs this client against the real backend.
const BASE = 'http://localhost:7007/api/sagemaker-mlflow';
const entity = { kind: 'Component', namespace: 'default', name: 'churn model' };

function client(status = 200, answer: unknown = {}) {
  const sent: Array<{
    url: string;
    method: string;
    type?: string;
    body?: any;
  }> = [];
  const fetch = async (url: any, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    sent.push({
      url: String(url),
      method: init?.method ?? 'GET',
      type: headers.get('content-type') ?? undefined,
      body: init?.body,
    });
    return new Response(JSON.stringify(answer), {
      status,
      headers: { 'content-type': 'application/json' },
    });
  };
  return {
    sent,
    api: new SageMakerMlflowClient({
      discoveryApi: { getBaseUrl: async () => BASE },
      fetchApi: { fetch: fetch as typeof globalThis.fetch },
    }),
  };
}

describe('SageMakerMlflowClient', () => {
  it('asks for a page with only the query it was given, the entity ref encoded', async () => {
    const { api, sent } = client(200, { items: [] });
    await expect(api.getExecutions(entity, { pageSize: 5 })).resolves.toEqual({
      items: [],
    });
    await api.getModelVersions(entity);
    await api.getExecution(entity, 'abc123');
    await api.getVersionComparison(entity, '3');
    expect(sent.map(({ method, url }) => `${method} ${url}`)).toEqual([
      `GET ${BASE}/v1/entities/default/Component/churn%20model/executions?pageSize=5`,
      `GET ${BASE}/v1/entities/default/Component/churn%20model/model-versions`,
      `GET ${BASE}/v1/entities/default/Component/churn%20model/executions/abc123`,
      `GET ${BASE}/v1/entities/default/Component/churn%20model/model-versions/3/comparison`,
    ]);
  });

  it('sends writes as JSON, and an invocation body as given with its own type', async () => {
    const { api, sent } = client();
    await api.setApproval(entity, '3', { status: 'Approved' });
    await api.startExecution(entity, { parameters: { GateThreshold: '0.9' } });
    await api.invokeEndpoint(entity, 'churn/staging', 'a,b\n1,2', 'text/csv');
    expect(sent).toEqual([
      {
        method: 'POST',
        url: `${BASE}/v1/entities/default/Component/churn%20model/model-versions/3/approval`,
        type: 'application/json',
        body: '{"status":"Approved"}',
      },
      {
        method: 'POST',
        url: `${BASE}/v1/entities/default/Component/churn%20model/executions`,
        type: 'application/json',
        body: '{"parameters":{"GateThreshold":"0.9"}}',
      },
      {
        method: 'POST',
        url: `${BASE}/v1/entities/default/Component/churn%20model/endpoints/churn%2Fstaging/invocations`,
        type: 'text/csv',
        body: 'a,b\n1,2',
      },
    ]);
  });

  it("throws the backend's error as a ResponseError with its status and message", async () => {
    const { api } = client(400, {
      error: {
        name: 'InputError',
        message: 'request/query/pageSize must be <= 200',
      },
      response: { statusCode: 400 },
    });
    const error = await api.getExecutions(entity, { pageSize: 500 }).then(
      () => undefined,
      e => e,
    );
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.response.status).toBe(400);
    expect(error.body.error.message).toBe(
      'request/query/pageSize must be <= 200',
    );
  });
});
