import type { PipelineDefinitionStep } from '@model-factory/plugin-sagemaker-mlflow-common';

/** A pipeline definition (SageMaker's JSON) as the DAG shows it, and the parameters it takes. */
export function parseDefinition(definition: string | undefined): {
  steps: PipelineDefinitionStep[];
  parameters: string[];
} {
  const parsed = JSON.parse(definition ?? '{}');
  return {
    steps: flattenSteps(parsed.Steps ?? []),
    parameters: (parsed.Parameters ?? []).map((p: any) => p.Name),
  };
}

/**
 * The definition's steps, with the steps a condition step runs (nested in its IfSteps and ElseSteps, not listed
 * at the top) after it: they follow the condition whatever else they depend on.
 */
function flattenSteps(
  steps: any[],
  branch?: PipelineDefinitionStep['branch'],
): PipelineDefinitionStep[] {
  return steps.flatMap((s: any) => {
    const step: PipelineDefinitionStep = {
      name: s.Name,
      type: s.Type,
      dependsOn: [
        ...(s.DependsOn ?? []),
        ...(branch ? [branch.condition] : []),
      ],
      ...(branch ? { branch } : {}),
    };
    if (s.Type !== 'Condition') return [step];
    const nested = (key: string, outcome: 'if' | 'else') =>
      flattenSteps(s.Arguments?.[key] ?? [], { condition: s.Name, outcome });
    return [step, ...nested('IfSteps', 'if'), ...nested('ElseSteps', 'else')];
  });
}
