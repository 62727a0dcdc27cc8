import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import {
  KEY_METRICS,
  ModelVersion,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import { useState } from 'react';

const BAR_W = 36;
const GAP = 14;
const HEIGHT = 140;

/** One bar per version for the chosen metric, oldest left; the champion is highlighted. */
export function MetricByVersionChart({
  versions,
  champion,
}: {
  versions: ModelVersion[];
  /** The champion's version number (by alias, else by stage). */
  champion?: string;
}) {
  const metrics = [
    ...new Set(versions.flatMap(v => Object.keys(v.metrics))),
  ].sort();
  const [chosen, setMetric] = useState<string>();
  // Derived: after paging, a choice that the new page lacks falls back to the first key metric, or any metric.
  const fallback = KEY_METRICS.find(m => metrics.includes(m)) ?? metrics[0];
  const metric = chosen && metrics.includes(chosen) ? chosen : fallback;
  if (!metric) return null;
  const points = [...versions]
    .reverse()
    .filter(v => v.metrics[metric] !== undefined)
    .map(v => ({
      version: v.version,
      value: v.metrics[metric],
      champion: v.version === champion,
    }));
  const max = Math.max(...points.map(p => p.value), 0) || 1;
  const width = points.length * (BAR_W + GAP) + GAP;
  return (
    <div data-testid="metric-chart">
      <TextField
        select
        label="Metric"
        value={metric}
        onChange={e => setMetric(e.target.value)}
        margin="dense"
      >
        {metrics.map(m => (
          <MenuItem key={m} value={m}>
            {m}
          </MenuItem>
        ))}
      </TextField>
      <svg
        width={width}
        height={HEIGHT + 40}
        role="img"
        aria-label={`${metric} by version`}
      >
        {points.map((p, i) => {
          const h = (p.value / max) * HEIGHT;
          const x = GAP + i * (BAR_W + GAP);
          return (
            <g key={p.version}>
              <title>{`version ${p.version}: ${metric} = ${p.value}`}</title>
              <rect
                x={x}
                y={HEIGHT - h + 14}
                width={BAR_W}
                height={h}
                fill={p.champion ? '#2e7d32' : '#1565c0'}
              />
              <text
                x={x + BAR_W / 2}
                y={HEIGHT - h + 10}
                textAnchor="middle"
                fontSize={10}
              >
                {p.value.toFixed(3)}
              </text>
              <text
                x={x + BAR_W / 2}
                y={HEIGHT + 30}
                textAnchor="middle"
                fontSize={11}
              >
                v{p.version}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
