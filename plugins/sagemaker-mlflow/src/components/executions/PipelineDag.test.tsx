import { screen, waitFor, within } from '@testing-library/react';
import { ThemeProvider } from '@material-ui/core/styles';
import { darkTheme, lightTheme } from '@backstage/theme';
import { renderInTestApp } from '@backstage/test-utils';
import type { PipelineDefinitionStep } from '@model-factory/plugin-sagemaker-mlflow-common';
import { PipelineDag, stepTypeLabel } from './PipelineDag';
import { parseParameters } from './StartExecutionDialog';
import { measureSvgText } from '../../__testUtils__/svgMeasurement';

measureSvgText();

/** The abalone example as the backend gives it: edges from its property references, branches of its condition. */
const abalone: PipelineDefinitionStep[] = [
  { name: 'PreprocessAbaloneData', type: 'Processing', dependsOn: [] },
  {
    name: 'TrainAbaloneModel',
    type: 'Training',
    dependsOn: ['PreprocessAbaloneData'],
  },
  {
    name: 'EvaluateAbaloneModel',
    type: 'Processing',
    dependsOn: ['TrainAbaloneModel', 'PreprocessAbaloneData'],
  },
  {
    name: 'CheckMSEAbaloneEvaluation',
    type: 'Condition',
    dependsOn: ['EvaluateAbaloneModel'],
  },
  {
    name: 'RegisterAbaloneModel-RegisterModel',
    type: 'RegisterModel',
    dependsOn: [
      'CheckMSEAbaloneEvaluation',
      'TrainAbaloneModel',
      'EvaluateAbaloneModel',
    ],
    branch: { condition: 'CheckMSEAbaloneEvaluation', outcome: 'if' },
  },
  {
    name: 'CreateAbaloneModel-CreateModel',
    type: 'Model',
    dependsOn: ['CheckMSEAbaloneEvaluation', 'TrainAbaloneModel'],
    branch: { condition: 'CheckMSEAbaloneEvaluation', outcome: 'if' },
  },
  {
    name: 'AbaloneMSEFail',
    type: 'Fail',
    dependsOn: ['CheckMSEAbaloneEvaluation'],
    branch: { condition: 'CheckMSEAbaloneEvaluation', outcome: 'else' },
  },
];
const edgeCount = (steps: PipelineDefinitionStep[]) =>
  steps.reduce((n, s) => n + s.dependsOn.length, 0);

/** Where dagre put a step's node: the translate core-components' Node wraps our node in. */
function box(name: string) {
  const node = screen.getByTestId(`dag-node-${name}`);
  const [x, y] = /translate\(([-\d.]+),([-\d.]+)\)/
    .exec(node.parentElement!.getAttribute('transform')!)!
    .slice(1)
    .map(Number);
  const rect = node.querySelector('rect')!;
  return {
    x,
    y,
    width: Number(rect.getAttribute('width')),
    height: Number(rect.getAttribute('height')),
  };
}

/** Laid out: every edge drawn and every node sized to its text. */
async function laidOut(steps: PipelineDefinitionStep[]) {
  await waitFor(() => {
    expect(screen.getAllByTestId('edge')).toHaveLength(edgeCount(steps));
    for (const s of steps) {
      expect(box(s.name).width).toBeGreaterThanOrEqual(s.name.length * 7);
    }
  });
}

describe('PipelineDag', () => {
  it('draws the abalone graph with DependencyGraph: every step by name and type, every edge, left to right', async () => {
    await renderInTestApp(<PipelineDag definition={abalone} />);
    await laidOut(abalone);
    // core-components' graph, not a hand-drawn one.
    expect(screen.getAllByTestId('node')).toHaveLength(abalone.length);
    for (const step of abalone) {
      const node = within(screen.getByTestId(`dag-node-${step.name}`));
      expect(node.getByText(step.name)).toBeInTheDocument();
      expect(node.getByText(stepTypeLabel(step))).toBeInTheDocument();
    }
    expect(
      within(
        screen.getByTestId('dag-node-CreateAbaloneModel-CreateModel'),
      ).getByText('Create model'),
    ).toBeInTheDocument();
    // Each step is drawn to the right of every step it waits for.
    for (const step of abalone) {
      for (const dep of step.dependsOn) {
        expect({
          edge: `${dep} -> ${step.name}`,
          after: box(step.name).x > box(dep).x,
        }).toEqual({
          edge: `${dep} -> ${step.name}`,
          after: true,
        });
      }
    }
    // Only the condition's edges are labelled, by their branch.
    expect(
      screen
        .getAllByText(/^(if|else)$/)
        .map(e => e.textContent)
        .sort(),
    ).toEqual(['else', 'if', 'if']);
  });

  it('colours each step by its status in this execution, from the theme, and says the status in words', async () => {
    await renderInTestApp(
      <ThemeProvider theme={lightTheme}>
        <PipelineDag
          definition={abalone}
          steps={[
            {
              name: 'PreprocessAbaloneData',
              status: 'Succeeded',
              cacheHit: false,
            },
            { name: 'TrainAbaloneModel', status: 'Failed', cacheHit: false },
            {
              name: 'EvaluateAbaloneModel',
              status: 'Executing',
              cacheHit: false,
            },
            {
              name: 'CheckMSEAbaloneEvaluation',
              status: 'Stopped',
              cacheHit: false,
            },
          ]}
        />
      </ThemeProvider>,
    );
    await laidOut(abalone);
    const fill = (name: string) =>
      screen
        .getByTestId(`dag-node-${name}`)
        .querySelector('rect')!
        .getAttribute('fill');
    const { palette } = lightTheme;
    expect({
      PreprocessAbaloneData: fill('PreprocessAbaloneData'),
      TrainAbaloneModel: fill('TrainAbaloneModel'),
      EvaluateAbaloneModel: fill('EvaluateAbaloneModel'),
      CheckMSEAbaloneEvaluation: fill('CheckMSEAbaloneEvaluation'),
      AbaloneMSEFail: fill('AbaloneMSEFail'),
    }).toEqual({
      PreprocessAbaloneData: palette.success.main,
      TrainAbaloneModel: palette.error.main,
      EvaluateAbaloneModel: palette.info.main,
      CheckMSEAbaloneEvaluation: palette.grey[600],
      AbaloneMSEFail: palette.background.paper, // did not run
    });
    expect(
      within(screen.getByTestId('dag-node-TrainAbaloneModel')).getByText(
        'Training · Failed',
      ),
    ).toBeInTheDocument();
  });

  it('follows the dark theme: steps that did not run are drawn on its paper with its text colour', async () => {
    await renderInTestApp(
      <ThemeProvider theme={darkTheme}>
        <PipelineDag definition={abalone} />
      </ThemeProvider>,
    );
    await laidOut(abalone);
    const node = screen.getByTestId('dag-node-AbaloneMSEFail');
    expect(node.querySelector('rect')).toHaveAttribute(
      'fill',
      darkTheme.palette.background.paper,
    );
    expect(node.querySelector('g')).toHaveAttribute(
      'fill',
      darkTheme.palette.text.primary,
    );
    expect(darkTheme.palette.text.primary).not.toBe(
      lightTheme.palette.text.primary,
    );
  });

  it('lays out a wide graph of long names without overlapping nodes', async () => {
    const long = (i: number) =>
      `Step${i}-${'VeryLongFeatureEngineeringStepName'.slice(
        0,
        40,
      )}-${i}`.padEnd(64, 'x');
    const wide: PipelineDefinitionStep[] = [
      { name: 'Start', type: 'Processing', dependsOn: [] },
      ...Array.from({ length: 12 }, (_, i) => ({
        name: long(i),
        type: 'Training',
        dependsOn: ['Start'],
        kind: 'Function' as const,
      })),
      {
        name: 'Join',
        type: 'Processing',
        dependsOn: Array.from({ length: 12 }, (_, i) => long(i)),
      },
    ];
    await renderInTestApp(<PipelineDag definition={wide} />);
    await laidOut(wide);
    const boxes = wide.map(s => ({ name: s.name, ...box(s.name) }));
    for (const a of boxes) {
      for (const b of boxes) {
        if (a.name >= b.name) continue;
        const apart =
          a.x + a.width <= b.x ||
          b.x + b.width <= a.x ||
          a.y + a.height <= b.y ||
          b.y + b.height <= a.y;
        expect({ a: a.name, b: b.name, apart }).toEqual({
          a: a.name,
          b: b.name,
          apart: true,
        });
      }
    }
    expect(
      within(screen.getByTestId(`dag-node-${long(3)}`)).getByText(
        '@step function',
      ),
    ).toBeInTheDocument();
  });
});

describe('stepTypeLabel', () => {
  it('names every SageMaker step type, and what a Training step runs when the backend could tell', () => {
    const label = (type: string, kind?: PipelineDefinitionStep['kind']) =>
      stepTypeLabel({
        name: 'x',
        type,
        dependsOn: [],
        ...(kind ? { kind } : {}),
      });
    expect(
      [
        'Processing',
        'Training',
        'Tuning',
        'Transform',
        'Model',
        'RegisterModel',
        'Condition',
        'Fail',
        'Lambda',
        'Callback',
        'QualityCheck',
        'ClarifyCheck',
        'EMR',
        'AutoML',
      ].map(t => label(t)),
    ).toEqual([
      'Processing',
      'Training',
      'Tuning',
      'Transform',
      'Create model',
      'Register model',
      'Condition',
      'Fail',
      'Lambda',
      'Callback',
      'Quality check',
      'Clarify check',
      'EMR',
      'AutoML',
    ]);
    expect(label('Training', 'Function')).toBe('@step function');
    expect(label('Training', 'NotebookJob')).toBe('Notebook job');
    expect(label('SomethingNew')).toBe('SomethingNew');
  });
});

describe('parseParameters', () => {
  it('reports a name given twice, and takes names objects inherit (constructor) as any other', () => {
    expect(parseParameters('A=1\nA=2\nconstructor=3')).toEqual({
      parameters: { A: '1', constructor: '3' },
      invalid: ['A=2'],
    });
  });

  it('reads Name=Value lines and reports the others', () => {
    expect(parseParameters('A=1\n\n B = two words \nbroken\n=x')).toEqual({
      parameters: { A: '1', B: 'two words' },
      invalid: ['broken', '=x'],
    });
  });
});
