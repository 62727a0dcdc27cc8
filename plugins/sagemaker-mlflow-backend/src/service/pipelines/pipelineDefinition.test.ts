import fs from 'fs';
import path from 'path';
import { parseDefinition } from './pipelineDefinition';

const abalone = fs.readFileSync(
  path.join(__dirname, '__fixtures__/abalonePipelineDefinition.json'),
  'utf8',
);

const byName = (steps: ReturnType<typeof parseDefinition>['steps']) =>
  Object.fromEntries(steps.map(s => [s.name, s]));

describe('parseDefinition', () => {
  it('draws every property-reference edge of the abalone example, which has no DependsOn at all', () => {
    expect(abalone).not.toContain('DependsOn');
    const { steps, parameters } = parseDefinition(abalone);
    const edges = steps.flatMap(s => s.dependsOn.map(d => `${d} -> ${s.name}`));
    expect(edges.sort()).toEqual(
      [
        // Get Steps.PreprocessAbaloneData.ProcessingOutputConfig.Outputs['train'|'validation']...
        'PreprocessAbaloneData -> TrainAbaloneModel',
        // Get Steps.TrainAbaloneModel.ModelArtifacts... and the 'test' output
        'TrainAbaloneModel -> EvaluateAbaloneModel',
        'PreprocessAbaloneData -> EvaluateAbaloneModel',
        // Std:JsonGet on the EvaluationReport property file
        'EvaluateAbaloneModel -> CheckMSEAbaloneEvaluation',
        // The condition runs its branches; they also read the model artifacts and (Std:Join) the evaluation
        'CheckMSEAbaloneEvaluation -> RegisterAbaloneModel-RegisterModel',
        'TrainAbaloneModel -> RegisterAbaloneModel-RegisterModel',
        'EvaluateAbaloneModel -> RegisterAbaloneModel-RegisterModel',
        'CheckMSEAbaloneEvaluation -> CreateAbaloneModel-CreateModel',
        'TrainAbaloneModel -> CreateAbaloneModel-CreateModel',
        'CheckMSEAbaloneEvaluation -> AbaloneMSEFail',
      ].sort(),
    );
    const step = byName(steps);
    expect(step.PreprocessAbaloneData.dependsOn).toEqual([]);
    expect(step.CheckMSEAbaloneEvaluation.type).toBe('Condition');
    expect(step['CreateAbaloneModel-CreateModel']).toMatchObject({
      type: 'Model',
      branch: { condition: 'CheckMSEAbaloneEvaluation', outcome: 'if' },
    });
    expect(step.AbaloneMSEFail).toEqual({
      name: 'AbaloneMSEFail',
      type: 'Fail',
      dependsOn: ['CheckMSEAbaloneEvaluation'],
      branch: { condition: 'CheckMSEAbaloneEvaluation', outcome: 'else' },
    });
    expect(parameters).toContain('MseThreshold');
  });

  it('reads references in every step type, outside Arguments too, and in nested condition steps', () => {
    const get = (name: string, rest = 'Properties.X') => ({
      Get: `Steps.${name}.${rest}`,
    });
    const definition = {
      Steps: [
        { Name: 'Prep', Type: 'Processing', Arguments: {} },
        {
          Name: 'Tune',
          Type: 'Tuning',
          Arguments: {
            TrainingJobDefinition: {
              StaticHyperParameters: { a: get('Prep') },
            },
          },
        },
        {
          Name: 'Batch',
          Type: 'Transform',
          Arguments: { ModelName: get('Tune', 'BestTrainingJob.Name') },
        },
        {
          Name: 'Notify',
          Type: 'Lambda',
          FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f',
          Arguments: { uri: get('Batch', 'TransformOutput.S3OutputPath') },
        },
        {
          Name: 'Approve',
          Type: 'Callback',
          SqsQueueUrl: 'https://sqs/q',
          Arguments: { from: get('Notify', 'OutputParameters.out') },
        },
        {
          // Check steps keep their baselines beside Arguments, not in them.
          Name: 'Quality',
          Type: 'QualityCheck',
          SuppliedBaselineStatistics: get('Approve', 'OutputParameters.s'),
          Arguments: {},
        },
        {
          Name: 'Bias',
          Type: 'ClarifyCheck',
          Arguments: {},
          DependsOn: ['Quality'],
        },
        {
          Name: 'Spark',
          Type: 'EMR',
          Arguments: {
            StepConfig: {
              HadoopJarStep: {
                Args: [{ 'Std:Join': { On: '', Values: [get('Bias')] } }],
              },
            },
          },
        },
        {
          Name: 'Auto',
          Type: 'AutoML',
          Arguments: {
            InputDataConfig: [{ DataSource: get('Spark') }],
          },
        },
        {
          Name: 'Notebook',
          Type: 'Training',
          Arguments: {
            Tags: [
              { Key: 'sagemaker:notebook-job-origin', Value: 'PIPELINE_STEP' },
            ],
            Environment: { IN: get('Auto', 'BestCandidate.CandidateName') },
          },
        },
        {
          // How the SDK writes a @step function: a training job fed by the remote-function bootstrap channel.
          Name: 'Func',
          Type: 'Training',
          Arguments: {
            InputDataConfig: [
              { ChannelName: 'sagemaker_remote_function_bootstrap' },
            ],
            AlgorithmSpecification: {
              ContainerArguments: [
                'Steps.Prep.OutputDataConfig.S3OutputPath', // a plain string names no dependency
                get('Notebook', 'OutputDataConfig.S3OutputPath'),
              ],
            },
          },
        },
        {
          Name: 'Outer',
          Type: 'Condition',
          Arguments: {
            Conditions: [
              {
                Type: 'Equals',
                LeftValue: {
                  // A property file named by its name alone.
                  'Std:JsonGet': { PropertyFile: 'Report', Path: 'ok' },
                },
                RightValue: true,
              },
            ],
            IfSteps: [
              {
                Name: 'Inner',
                Type: 'Condition',
                Arguments: {
                  Conditions: [
                    { Type: 'Equals', LeftValue: get('Func'), RightValue: 1 },
                  ],
                  IfSteps: [
                    {
                      Name: 'Deep',
                      Type: 'RegisterModel',
                      Arguments: { m: get('Tune'), self: get('Deep') },
                    },
                  ],
                  ElseSteps: [
                    {
                      Name: 'Stop',
                      Type: 'Fail',
                      Arguments: { ErrorMessage: get('NotAStep') },
                    },
                  ],
                },
              },
            ],
            ElseSteps: [],
          },
        },
        {
          Name: 'Report',
          Type: 'Processing',
          Arguments: {},
          PropertyFiles: [{ PropertyFileName: 'Report', OutputName: 'o' }],
        },
      ],
    };
    const step = byName(parseDefinition(JSON.stringify(definition)).steps);
    expect(
      Object.fromEntries(
        Object.values(step).map(s => [s.name, [s.type, s.dependsOn]]),
      ),
    ).toEqual({
      Prep: ['Processing', []],
      Tune: ['Tuning', ['Prep']],
      Batch: ['Transform', ['Tune']],
      Notify: ['Lambda', ['Batch']],
      Approve: ['Callback', ['Notify']],
      Quality: ['QualityCheck', ['Approve']],
      Bias: ['ClarifyCheck', ['Quality']],
      Spark: ['EMR', ['Bias']],
      Auto: ['AutoML', ['Spark']],
      Notebook: ['Training', ['Auto']],
      Func: ['Training', ['Notebook']],
      Outer: ['Condition', ['Report']],
      // The inner condition's branches are its own steps: the outer one does not read what they read.
      Inner: ['Condition', ['Outer', 'Func']],
      // Not itself, and no step the definition does not have.
      Deep: ['RegisterModel', ['Inner', 'Tune']],
      Stop: ['Fail', ['Inner']],
      Report: ['Processing', []],
    });
    expect(step.Notebook.kind).toBe('NotebookJob');
    expect(step.Func.kind).toBe('Function');
    expect(step.Prep.kind).toBeUndefined();
    expect(step.Deep.branch).toEqual({ condition: 'Inner', outcome: 'if' });
    expect(step.Inner.branch).toEqual({ condition: 'Outer', outcome: 'if' });
  });
});
