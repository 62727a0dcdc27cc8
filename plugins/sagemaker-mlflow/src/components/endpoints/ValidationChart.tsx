import Typography from '@material-ui/core/Typography';
import type { ValidationResult } from '@model-factory/plugin-sagemaker-mlflow-common';

const CELL = 16;

/** True label and prediction per row (a mismatch stands out in red), with the accuracy. */
export function ValidationChart({ result }: { result: ValidationResult }) {
  const width = result.rows * (CELL + 2) + 70;
  const row = (
    label: string,
    y: number,
    values: number[],
    color: (i: number) => string,
  ) => (
    <g>
      <text x={0} y={y + 12} fontSize={11}>
        {label}
      </text>
      {values.map((v, i) => (
        <g key={i}>
          <title>{`row ${i + 1}: ${label.toLowerCase()} ${v}`}</title>
          <rect
            x={70 + i * (CELL + 2)}
            y={y}
            width={CELL}
            height={CELL}
            fill={color(i)}
          />
          <text
            x={70 + i * (CELL + 2) + CELL / 2}
            y={y + 12}
            textAnchor="middle"
            fontSize={10}
            fill="#fff"
          >
            {v}
          </text>
        </g>
      ))}
    </g>
  );
  const wrong = (i: number) => result.predictions[i] !== result.labels[i];
  return (
    <div data-testid="validation-result">
      <Typography variant="h6">
        Accuracy {(result.accuracy * 100).toFixed(1)}% on {result.rows} rows
        (version {result.modelVersion ?? '?'}, {result.latencyMs} ms)
      </Typography>
      <svg
        width={width}
        height={2 * CELL + 12}
        role="img"
        aria-label="Predicted vs true labels"
      >
        {row('True', 0, result.labels, () => '#616161')}
        {row('Predicted', CELL + 8, result.predictions, i =>
          wrong(i) ? '#c62828' : '#2e7d32',
        )}
      </svg>
    </div>
  );
}
