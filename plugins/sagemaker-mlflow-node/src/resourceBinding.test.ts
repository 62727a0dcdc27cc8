import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { evaluateBinding } from './resourceBinding';

const PIPELINE =
  'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/churn-model-pipeline';
const REF = 'component:default/churn-model';

describe('evaluateBinding', () => {
  it('binds a resource whose tag names the entity, as the catalog compares refs (case, default namespace)', () => {
    for (const tag of [
      REF,
      'Component:default/Churn-Model',
      'component:churn-model',
    ]) {
      expect(evaluateBinding('pipeline', PIPELINE, REF, tag).state).toBe(
        'bound',
      );
    }
  });

  it('says how to bind a resource without the tag, with the region and ARN it needs', () => {
    const binding = evaluateBinding('pipeline', PIPELINE, REF, undefined);
    expect(binding.state).toBe('unbound');
    expect(binding.command).toBe(
      `aws sagemaker add-tags --region 'eu-west-1' --resource-arn '${PIPELINE}' --tags 'Key=backstage.io/entity-ref,Value=${REF}'`,
    );
  });

  it('writes a command in which no name can be read as shell: a hostile model name stays one argument', () => {
    // Annotations come from catalog files anyone may write; the command is run by whoever may tag the model.
    const marker = path.join(os.tmpdir(), `bind-command-${process.pid}`);
    const name = `x$(touch ${marker})\`\`touch ${marker}\`"'; touch ${marker} #`;
    const { command } = evaluateBinding(
      'registered-model',
      name,
      REF,
      undefined,
    );
    // `python` replaced by a shell function that prints the arguments it is given.
    const printed = execFileSync(
      'bash',
      ['-c', `python() { printf '%s\\n' "$@"; }; ${command}`],
      { encoding: 'utf8' },
    ).split('\n');
    expect(fs.existsSync(marker)).toBe(false);
    expect(printed.slice(2, 5)).toEqual([name, 'backstage.io/entity-ref', REF]);
  });

  it('names the entity a resource is bound to instead, and never binds a tag that is not a ref', () => {
    const elsewhere = evaluateBinding(
      'registered-model',
      'churn-model',
      REF,
      'component:default/fraud-model',
    );
    expect(elsewhere).toMatchObject({
      state: 'bound-elsewhere',
      boundTo: 'component:default/fraud-model',
    });
    expect(elsewhere.message).toContain(
      "MLflow registered model 'churn-model' is bound to 'component:default/fraud-model'",
    );
    for (const tag of ['', ' ', 'not a ref at all:/', 'churn-model']) {
      expect(evaluateBinding('endpoint', PIPELINE, REF, tag).state).not.toBe(
        'bound',
      );
    }
  });

  it('never binds a resource that carries two different binding tags', () => {
    expect(
      evaluateBinding('endpoint', PIPELINE, REF, [
        REF,
        'component:default/fraud-model',
      ]),
    ).toMatchObject({ state: 'bound-elsewhere' });
    expect(evaluateBinding('endpoint', PIPELINE, REF, [REF, REF]).state).toBe(
      'bound',
    );
  });
});
