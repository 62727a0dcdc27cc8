import { render, screen } from '@testing-library/react';
import { layerOf, PipelineDag } from './PipelineDag';
import { parseParameters } from './StartExecutionDialog';

describe('layerOf', () => {
  it('puts each step one column after its latest dependency', () => {
    const layers = layerOf([
      { name: 'Register', type: 'RegisterModel', dependsOn: ['Gate'] },
      { name: 'Preprocess', type: 'Processing', dependsOn: [] },
      { name: 'Train', type: 'Training', dependsOn: ['Preprocess'] },
      { name: 'Evaluate', type: 'Processing', dependsOn: ['Train'] },
      {
        name: 'Gate',
        type: 'Condition',
        dependsOn: ['Evaluate', 'Preprocess'],
      },
    ]);
    expect(Object.fromEntries(layers)).toEqual({
      Preprocess: 0,
      Train: 1,
      Evaluate: 2,
      Gate: 3,
      Register: 4,
    });
  });

  it('survives a cycle instead of looping', () => {
    const layers = layerOf([
      { name: 'A', type: 'x', dependsOn: ['B'] },
      { name: 'B', type: 'x', dependsOn: ['A'] },
    ]);
    expect(layers.size).toBe(2);
  });
});

describe('PipelineDag', () => {
  it('draws the steps a condition runs after it, each edge named by its branch', () => {
    render(
      <PipelineDag
        definition={[
          { name: 'Evaluate', type: 'Training', dependsOn: [] },
          { name: 'Gate', type: 'Condition', dependsOn: ['Evaluate'] },
          {
            name: 'Register',
            type: 'Training',
            dependsOn: ['Evaluate', 'Gate'],
            branch: { condition: 'Gate', outcome: 'if' },
          },
          {
            name: 'BelowGate',
            type: 'Fail',
            dependsOn: ['Gate'],
            branch: { condition: 'Gate', outcome: 'else' },
          },
        ]}
        steps={[{ name: 'Register', status: 'Succeeded', cacheHit: false }]}
      />,
    );
    expect(screen.getByTestId('dag-node-BelowGate')).toBeInTheDocument();
    expect(screen.getByText('if')).toBeInTheDocument();
    expect(screen.getByText('else')).toBeInTheDocument();
    // Only the condition's edges are labelled: Evaluate -> Register is a plain dependency.
    expect(screen.getAllByText(/^(if|else)$/)).toHaveLength(2);
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
