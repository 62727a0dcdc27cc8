import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import {
  DependencyGraph,
  DependencyGraphTypes,
} from '@backstage/core-components';
import { Theme, useTheme } from '@material-ui/core/styles';
import type {
  PipelineDefinitionStep,
  PipelineStep,
} from '@model-factory/plugin-sagemaker-mlflow-common';

/** How each SageMaker step Type reads in the graph. */
const TYPE_LABELS: Record<string, string> = {
  Processing: 'Processing',
  Training: 'Training',
  Tuning: 'Tuning',
  Transform: 'Transform',
  Model: 'Create model',
  CreateModel: 'Create model',
  RegisterModel: 'Register model',
  Condition: 'Condition',
  Fail: 'Fail',
  Lambda: 'Lambda',
  Callback: 'Callback',
  QualityCheck: 'Quality check',
  ClarifyCheck: 'Clarify check',
  EMR: 'EMR',
  AutoML: 'AutoML',
};
const KIND_LABELS: Record<
  NonNullable<PipelineDefinitionStep['kind']>,
  string
> = {
  Function: '@step function',
  NotebookJob: 'Notebook job',
};

/** The step's type as people name it: what a Training step really runs when the backend could tell. */
export function stepTypeLabel(step: PipelineDefinitionStep): string {
  if (step.kind) return KIND_LABELS[step.kind];
  return TYPE_LABELS[step.type] ?? step.type;
}

/** The node's fill for a step status, from the theme so that the dark theme has its own. */
export function statusColor(
  theme: Theme,
  status: string | undefined,
): string | undefined {
  switch (status) {
    case 'Succeeded':
      return theme.palette.success.main;
    case 'Failed':
      return theme.palette.error.main;
    case 'Executing':
    case 'Starting':
      return theme.palette.info.main;
    case 'Stopping':
    case 'Stopped':
      return theme.palette.grey[600];
    default:
      return undefined; // not run in this execution (or not known): the page's own background
  }
}

type StepNode = { step: PipelineDefinitionStep; status?: string };
type StepEdge = { outcome?: 'if' | 'else' };

const PADDING = 10;
const LINE = 16;

function StepNodeView({
  node: { step, status },
}: DependencyGraphTypes.RenderNodeProps<StepNode>) {
  const theme = useTheme();
  const textRef = useRef<SVGGElement>(null);
  const [width, setWidth] = useState(0);
  // Sized to its text, as core-components' own node is, so long names are drawn whole and dagre spaces them.
  useLayoutEffect(() => {
    const measured = Math.round(textRef.current?.getBBox().width ?? 0);
    if (measured !== width) setWidth(measured);
  }, [width, step.name, status]);
  const fill = statusColor(theme, status);
  const text = fill
    ? theme.palette.getContrastText(fill)
    : theme.palette.text.primary;
  const label = `${stepTypeLabel(step)}${status ? ` · ${status}` : ''}`;
  return (
    <g data-testid={`dag-node-${step.name}`} data-status={status ?? 'none'}>
      <title>{`${step.name} (${step.type})${
        status ? `: ${status}` : ''
      }`}</title>
      <rect
        width={width + PADDING * 2}
        height={LINE * 2 + PADDING * 2}
        rx={6}
        fill={fill ?? theme.palette.background.paper}
        stroke={fill ?? theme.palette.divider}
        strokeWidth={1.5}
      />
      <g ref={textRef} fill={text}>
        <text x={PADDING} y={PADDING + 12} fontSize={13} fontWeight={600}>
          {step.name}
        </text>
        <text x={PADDING} y={PADDING + 12 + LINE} fontSize={11}>
          {label}
        </text>
      </g>
    </g>
  );
}

function BranchLabel({
  edge: { outcome },
}: DependencyGraphTypes.RenderLabelProps<StepEdge>) {
  const theme = useTheme();
  return (
    <text fontSize={11} fill={theme.palette.text.secondary}>
      {outcome}
    </text>
  );
}

/** The pipeline's steps as a left-to-right graph laid out by dagre, coloured by how each ran in this execution. */
export function PipelineDag({
  definition,
  steps,
}: {
  definition: PipelineDefinitionStep[];
  steps?: PipelineStep[];
}) {
  const { nodes, edges } = useMemo(() => {
    const status = new Map((steps ?? []).map(s => [s.name, s.status]));
    const names = new Set(definition.map(s => s.name));
    return {
      nodes: definition.map(step => ({
        id: step.name,
        step,
        status: status.get(step.name),
      })),
      edges: definition.flatMap(step =>
        step.dependsOn
          .filter(dep => names.has(dep))
          .map(dep => {
            // The edge from a condition to the steps it runs says which branch: "if" (it held) or "else".
            const outcome =
              step.branch?.condition === dep ? step.branch.outcome : undefined;
            return { from: dep, to: step.name, label: outcome, outcome };
          }),
      ),
    };
  }, [definition, steps]);
  return (
    // Positioned: the graph's full-screen button sits at this box's top right.
    <div
      role="figure"
      aria-label="Pipeline steps graph"
      style={{ position: 'relative' }}
    >
      <DependencyGraph<StepNode, StepEdge>
        nodes={nodes}
        edges={edges}
        direction={DependencyGraphTypes.Direction.LEFT_RIGHT}
        renderNode={StepNodeView}
        renderLabel={BranchLabel}
        labelPosition={DependencyGraphTypes.LabelPosition.CENTER}
        nodeMargin={20}
        rankMargin={60}
        paddingX={8}
        paddingY={8}
        showArrowHeads
        // Scrolling the page must not zoom the graph: a click on it turns zoom on.
        zoom="enable-on-click"
      />
    </div>
  );
}
