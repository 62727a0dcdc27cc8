import type { PipelineDefinitionStep } from '@model-factory/plugin-sagemaker-mlflow-common';

/** A pipeline definition (SageMaker's JSON) as the DAG shows it, and the parameters it takes. */
export function parseDefinition(definition: string | undefined): {
  steps: PipelineDefinitionStep[];
  parameters: string[];
} {
  const parsed = JSON.parse(definition ?? '{}');
  const raw = collectSteps(parsed.Steps ?? []);
  const names = new Set(raw.map(r => r.step.Name));
  const propertyFiles = propertyFileOwners(raw.map(r => r.step));
  return {
    steps: raw.map(({ step, branch }) =>
      toDefinitionStep(step, branch, names, propertyFiles),
    ),
    parameters: (parsed.Parameters ?? []).map((p: any) => p.Name),
  };
}

type Branch = PipelineDefinitionStep['branch'];

/**
 * The definition's steps, with the steps a condition step runs (nested in its IfSteps and ElseSteps, not listed
 * at the top, and possibly conditions themselves) after it.
 */
function collectSteps(
  steps: any[],
  branch?: Branch,
): Array<{ step: any; branch?: Branch }> {
  return (Array.isArray(steps) ? steps : []).flatMap((s: any) => {
    if (!s || typeof s.Name !== 'string') return [];
    if (s.Type !== 'Condition') return [{ step: s, branch }];
    const nested = (key: string, outcome: 'if' | 'else') =>
      collectSteps(s.Arguments?.[key] ?? [], { condition: s.Name, outcome });
    return [
      { step: s, branch },
      ...nested('IfSteps', 'if'),
      ...nested('ElseSteps', 'else'),
    ];
  });
}

/**
 * What a step waits for, as SageMaker orders it: its DependsOn, the condition that runs it, and every step whose
 * properties it reads (`{"Get": "Steps.<name>..."}`, also inside `Std:Join` and `Std:JsonGet`, and a
 * `Std:JsonGet` that names a property file by its name alone).
 */
function toDefinitionStep(
  s: any,
  branch: Branch,
  names: Set<string>,
  propertyFiles: Map<string, string>,
): PipelineDefinitionStep {
  const references = new Set<string>();
  // A condition's branches are steps of their own: their references are theirs, not the condition's.
  const own =
    s.Type === 'Condition'
      ? { ...s, Arguments: { ...s.Arguments, IfSteps: [], ElseSteps: [] } }
      : s;
  collectReferences(own, references, propertyFiles);
  const dependsOn = [
    ...(Array.isArray(s.DependsOn) ? s.DependsOn : []),
    ...(branch ? [branch.condition] : []),
    ...[...references].filter(name => names.has(name)),
  ].filter(name => typeof name === 'string' && name !== s.Name);
  const kind = stepKind(s);
  return {
    name: s.Name,
    type: String(s.Type ?? ''),
    dependsOn: [...new Set(dependsOn)],
    ...(kind ? { kind } : {}),
    ...(branch ? { branch } : {}),
  };
}

// Step names: letters, digits, '-' and '_' (SageMaker's StepName pattern).
const STEP_REFERENCE = /^Steps\.([A-Za-z0-9_-]+)/;

function collectReferences(
  value: unknown,
  into: Set<string>,
  propertyFiles: Map<string, string>,
): void {
  if (Array.isArray(value)) {
    value.forEach(v => collectReferences(v, into, propertyFiles));
    return;
  }
  if (!value || typeof value !== 'object') return;
  const object = value as Record<string, unknown>;
  if (typeof object.Get === 'string') {
    const match = STEP_REFERENCE.exec(object.Get);
    if (match) into.add(match[1]);
  }
  const jsonGet = object['Std:JsonGet'] as Record<string, unknown> | undefined;
  if (jsonGet && typeof jsonGet.PropertyFile === 'string') {
    const owner = propertyFiles.get(jsonGet.PropertyFile);
    if (owner) into.add(owner);
  }
  Object.values(object).forEach(v => collectReferences(v, into, propertyFiles));
}

/** Which step writes each property file (a processing step's PropertyFiles), by the file's name. */
function propertyFileOwners(steps: any[]): Map<string, string> {
  const owners = new Map<string, string>();
  for (const s of steps) {
    for (const file of Array.isArray(s.PropertyFiles) ? s.PropertyFiles : []) {
      if (typeof file?.PropertyFileName === 'string') {
        owners.set(file.PropertyFileName, s.Name);
      }
    }
  }
  return owners;
}

/**
 * What a Training step really runs, when its type says less: the SageMaker SDK writes a `@step` function and a
 * notebook job step both as a training job.
 */
function stepKind(s: any): PipelineDefinitionStep['kind'] {
  if (s.Type !== 'Training') return undefined;
  const args = s.Arguments ?? {};
  const tags: any[] = Array.isArray(args.Tags) ? args.Tags : [];
  if (tags.some(t => t?.Key === 'sagemaker:notebook-job-origin')) {
    return 'NotebookJob';
  }
  const channels: any[] = Array.isArray(args.InputDataConfig)
    ? args.InputDataConfig
    : [];
  if (
    channels.some(c => c?.ChannelName === 'sagemaker_remote_function_bootstrap')
  ) {
    return 'Function';
  }
  return undefined;
}
