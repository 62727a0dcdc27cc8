import { detectEvents, fingerprints, Observation } from './detect';

const entity = {
  entityRef: 'component:default/demo-model',
  kind: 'Component',
  namespace: 'default',
  name: 'demo-model',
  endpointNames: ['demo-model-staging', 'demo-model-prod'],
};
const GROUP = 'arn:aws:sagemaker:us-east-1:123456789012:model-package';

describe('detectEvents', () => {
  it('tells of a pending approval, linked to the version, as something still waiting (not history)', () => {
    const [event, ...rest] = detectEvents(entity, {
      packages: [
        {
          arn: `${GROUP}/demo-model/3`,
          status: 'PendingManualApproval',
          packageVersion: 3,
          mlflowVersion: '7',
        },
      ],
    });
    expect(rest).toEqual([]);
    expect(event).toMatchObject({
      kind: 'approval-pending',
      resource: `${GROUP}/demo-model/3`,
      state: 'PendingManualApproval',
      historical: false,
      payload: {
        title: 'Version 7 of demo-model awaits approval',
        severity: 'high',
        link: '/catalog/default/component/demo-model/sagemaker-mlflow?version=7',
      },
    });
  });

  it('tells of decisions, failed executions and failed endpoint updates as history', () => {
    const events = detectEvents(entity, {
      packages: [
        { arn: `${GROUP}/demo-model/1`, status: 'Approved', packageVersion: 1 },
        {
          arn: `${GROUP}/demo-model/2`,
          status: 'Rejected',
          mlflowVersion: '2',
        },
      ],
      executions: [
        { arn: 'exec/ok', status: 'Succeeded' },
        {
          arn: 'exec/bad',
          status: 'Failed',
          failureReason: 'Step Train failed',
        },
        { arn: 'exec/running', status: 'Executing' },
      ],
      endpoints: [
        { arn: 'ep/ok', name: 'ok', status: 'InService' },
        {
          arn: 'ep/rolled-back',
          name: 'staging',
          status: 'InService',
          failureReason: 'Alarm tripped; rolled back',
          lastModifiedAt: '2026-11-29T10:00:00.000Z',
        },
        { arn: 'ep/down', name: 'prod', status: 'Failed' },
      ],
    });
    expect(
      events.map(e => [e.kind, e.resource, e.state, e.historical]),
    ).toEqual([
      ['approval-decided', `${GROUP}/demo-model/1`, 'Approved', true],
      ['approval-decided', `${GROUP}/demo-model/2`, 'Rejected', true],
      ['execution-failed', 'exec/bad', 'Failed', true],
      [
        'endpoint-failed',
        'ep/rolled-back',
        'InService@2026-11-29T10:00:00.000Z',
        true,
      ],
      ['endpoint-failed', 'ep/down', 'Failed@', true],
    ]);
    expect(events[1].payload.link).toBe(
      '/catalog/default/component/demo-model/sagemaker-mlflow?version=2',
    );
    expect(events[2].payload.description).toBe('Step Train failed');
    expect(events[3].payload.title).toBe(
      'Endpoint staging of demo-model: update failed',
    );
  });

  it('tells of a validation below the version gate, and not of one above it or without a gate', () => {
    const validation = (accuracy: number, at: string) =>
      JSON.stringify({ accuracy, rows: 50, latencyMs: 12, at });
    const events = detectEvents(entity, {
      versions: [
        {
          version: '4',
          tags: {
            gate_metric: 'accuracy',
            gate_threshold: '0.9',
            'validation.demo-model-staging': validation(0.82, 't1'),
            'validation.demo-model-prod': validation(0.95, 't2'),
          },
        },
        // No gate recorded: nothing to compare with.
        { version: '3', tags: { 'validation.x': validation(0.1, 't3') } },
        // A malformed record is skipped, not thrown.
        {
          version: '2',
          tags: {
            gate_metric: 'accuracy',
            gate_threshold: '0.9',
            'validation.y': '{not json',
          },
        },
      ],
    });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      kind: 'validation-below-gate',
      resource: '4:demo-model-staging',
      state: 'below-gate',
      payload: {
        description:
          'accuracy 0.82 on demo-model-staging is below the gate 0.9.',
        link: '/catalog/default/component/demo-model/sagemaker-mlflow?version=4',
      },
    });
  });

  it("counts only the records of the entity's own endpoints, once whatever their time (an MLflow writer's tags)", () => {
    const record = (at: string) =>
      JSON.stringify({ accuracy: 0.5, rows: 50, latencyMs: 12, at });
    const gate = { gate_metric: 'accuracy', gate_threshold: '0.9' };
    const detect = (at: string) =>
      detectEvents(entity, {
        versions: [
          {
            version: '4',
            tags: {
              ...gate,
              'validation.demo-model-staging': record(at),
              'validation.someone-elses-endpoint': record(at),
            },
          },
        ],
      });
    const [first, ...others] = detect('t1');
    expect(others).toEqual([]);
    expect(first.resource).toBe('4:demo-model-staging');
    // Rewritten with a new time: the same event, which the ledger tells once.
    expect(detect('t2').map(e => [e.resource, e.state])).toEqual([
      [first.resource, first.state],
    ]);
  });

  it('detects nothing in sections it could not read', () => {
    expect(detectEvents(entity, {})).toEqual([]);
  });
});

describe('fingerprints', () => {
  it('changes only in the section whose resources changed', () => {
    const before: Observation = {
      executions: [{ arn: 'e1', status: 'Executing' }],
      packages: [{ arn: 'p1', status: 'PendingManualApproval' }],
      endpoints: [{ arn: 'ep', name: 'ep', status: 'InService' }],
    };
    const after: Observation = {
      ...before,
      executions: [{ arn: 'e1', status: 'Succeeded' }],
    };
    const a = fingerprints(before);
    const b = fingerprints(after);
    expect(a.executions).not.toBe(b.executions);
    expect(a.versions).toBe(b.versions);
    expect(a.endpoints).toBe(b.endpoints);
  });
});
