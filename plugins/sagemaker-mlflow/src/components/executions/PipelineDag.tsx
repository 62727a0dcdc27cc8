import type {
  PipelineDefinitionStep,
  PipelineStep,
} from '@model-factory/plugin-sagemaker-mlflow-common';

const NODE_W = 128;
const NODE_H = 36;
const GAP_X = 36;
const GAP_Y = 16;

const COLORS: Record<string, string> = {
  Succeeded: '#2e7d32',
  Failed: '#c62828',
  Executing: '#1565c0',
  Stopped: '#757575',
  Starting: '#1565c0',
};

/** Each step's column: the length of the longest dependency chain before it. */
export function layerOf(steps: PipelineDefinitionStep[]): Map<string, number> {
  const byName = new Map(steps.map(s => [s.name, s]));
  const layers = new Map<string, number>();
  const visit = (name: string, seen: Set<string>): number => {
    if (layers.has(name)) return layers.get(name)!;
    if (seen.has(name)) return 0; // a cycle is not a valid pipeline; draw it flat rather than loop
    seen.add(name);
    const deps = byName.get(name)?.dependsOn.filter(d => byName.has(d)) ?? [];
    const layer = deps.length
      ? Math.max(...deps.map(d => visit(d, seen))) + 1
      : 0;
    layers.set(name, layer);
    return layer;
  };
  steps.forEach(s => visit(s.name, new Set()));
  return layers;
}

/** The pipeline's steps as a left-to-right graph, coloured by how each ran in this execution. */
export function PipelineDag({
  definition,
  steps,
}: {
  definition: PipelineDefinitionStep[];
  steps?: PipelineStep[];
}) {
  const layers = layerOf(definition);
  const rows = new Map<number, number>();
  const position = new Map<string, { x: number; y: number }>();
  for (const step of definition) {
    const layer = layers.get(step.name) ?? 0;
    const row = rows.get(layer) ?? 0;
    rows.set(layer, row + 1);
    position.set(step.name, {
      x: layer * (NODE_W + GAP_X),
      y: row * (NODE_H + GAP_Y),
    });
  }
  const status = new Map((steps ?? []).map(s => [s.name, s.status]));
  const width = (Math.max(0, ...layers.values()) + 1) * (NODE_W + GAP_X);
  const height = Math.max(1, ...rows.values()) * (NODE_H + GAP_Y);
  return (
    <svg
      width={width}
      height={height}
      role="img"
      aria-label="Pipeline steps graph"
    >
      {definition.flatMap(step =>
        step.dependsOn
          .filter(dep => position.has(dep))
          .map(dep => {
            const from = position.get(dep)!;
            const to = position.get(step.name)!;
            const [x1, y1] = [from.x + NODE_W, from.y + NODE_H / 2];
            const [x2, y2] = [to.x, to.y + NODE_H / 2];
            // The edge from a condition to the steps it runs says which branch: "if" (it held) or "else".
            const outcome =
              step.branch?.condition === dep ? step.branch.outcome : undefined;
            return (
              <g key={`${dep}->${step.name}`}>
                <line
                  x1={x1}
                  y1={y1}
                  x2={x2}
                  y2={y2}
                  stroke="#9e9e9e"
                  strokeWidth={2}
                  strokeDasharray={outcome === 'else' ? '4 3' : undefined}
                />
                {outcome && (
                  <text
                    x={(x1 + x2) / 2}
                    y={(y1 + y2) / 2 - 4}
                    textAnchor="middle"
                    fontSize={11}
                    fill="#616161"
                  >
                    {outcome}
                  </text>
                )}
              </g>
            );
          }),
      )}
      {definition.map(step => {
        const { x, y } = position.get(step.name)!;
        const stepStatus = status.get(step.name);
        return (
          <g key={step.name} data-testid={`dag-node-${step.name}`}>
            <title>{`${step.name} (${step.type})${
              stepStatus ? `: ${stepStatus}` : ''
            }`}</title>
            <rect
              x={x}
              y={y}
              width={NODE_W}
              height={NODE_H}
              rx={6}
              fill={COLORS[stepStatus ?? ''] ?? '#eeeeee'}
              stroke="#616161"
            />
            <text
              x={x + NODE_W / 2}
              y={y + NODE_H / 2 + 4}
              textAnchor="middle"
              fontSize={12}
              fill={stepStatus ? '#ffffff' : '#212121'}
            >
              {step.name}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
