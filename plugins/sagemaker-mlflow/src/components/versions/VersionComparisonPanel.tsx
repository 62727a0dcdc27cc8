import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import type {
  ComparedValidation,
  GateUsed,
  MetricComparison,
  Section,
  VersionComparison,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import useAsync from 'react-use/esm/useAsync';
import { sagemakerMlflowApiRef } from '../../api/SageMakerMlflowApi';
import {
  ExternalLink,
  formatMetric,
  SectionError,
  useEntityRefs,
} from '../common';

const UP = '#2e7d32';
const DOWN = '#c62828';

/** Metrics where a smaller value is better: their difference is colored the other way round. */
const LOWER_IS_BETTER = /(loss|error|rmse|mae|mse|latency)/i;

/** How a difference reads: its sign, and whether it is better, worse or no change. */
function judge(name: string, delta: number) {
  if (delta === 0) return { sign: '±', verdict: 'no change', color: undefined };
  const better = LOWER_IS_BETTER.test(name) ? delta < 0 : delta > 0;
  return {
    sign: delta > 0 ? '+' : '−',
    verdict: better ? 'better' : 'worse',
    color: better ? UP : DOWN,
  };
}

function Delta({ name, delta }: { name: string; delta?: number }) {
  if (delta === undefined) return <>—</>;
  const { sign, verdict, color } = judge(name, delta);
  return (
    <span data-testid={`delta-${name}`} style={{ color }} title={verdict}>
      {sign}
      {Math.abs(delta).toFixed(4)}
    </span>
  );
}

function GateCell({ gate }: { gate: GateUsed }) {
  return (
    <Typography variant="caption" component="div">
      gate ≥ {gate.threshold}
      {gate.passed !== undefined && (
        <strong style={{ color: gate.passed ? UP : DOWN, marginLeft: 4 }}>
          {gate.passed ? 'passes' : 'fails'}
        </strong>
      )}
    </Typography>
  );
}

function MetricsTable({
  metrics,
  gate,
  hasChampion,
}: {
  metrics: MetricComparison[];
  gate?: GateUsed;
  hasChampion: boolean;
}) {
  if (metrics.length === 0)
    return <Typography variant="body2">Neither run logged metrics.</Typography>;
  return (
    <Table size="small" aria-label="metrics, candidate beside champion">
      <TableHead>
        <TableRow>
          <TableCell>Metric</TableCell>
          <TableCell align="right">Candidate</TableCell>
          {hasChampion && <TableCell align="right">Champion</TableCell>}
          {hasChampion && <TableCell align="right">Difference</TableCell>}
        </TableRow>
      </TableHead>
      <TableBody>
        {metrics.map(m => {
          const isGate = gate?.metric === m.name;
          return (
            <TableRow
              key={m.name}
              data-testid={`metric-${m.name}`}
              selected={isGate}
            >
              <TableCell>
                {isGate ? <strong>{m.name}</strong> : m.name}
                {isGate && gate?.threshold !== undefined && (
                  <GateCell gate={gate} />
                )}
              </TableCell>
              <TableCell align="right">{formatMetric(m.candidate)}</TableCell>
              {hasChampion && (
                <TableCell align="right">{formatMetric(m.champion)}</TableCell>
              )}
              {hasChampion && (
                <TableCell align="right">
                  <Delta name={m.name} delta={m.delta} />
                </TableCell>
              )}
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}

function ValidationRow({
  label,
  result,
}: {
  label: string;
  result: Section<ComparedValidation>;
}) {
  return (
    <TableRow data-testid={`validation-${label}`}>
      <TableCell>{label}</TableCell>
      {result.data ? (
        <>
          <TableCell align="right">
            {(result.data.accuracy * 100).toFixed(1)}%
          </TableCell>
          <TableCell align="right">{result.data.rows}</TableCell>
          <TableCell align="right">{result.data.latencyMs} ms</TableCell>
          <TableCell>
            v{result.data.version} on {result.data.endpointName}
          </TableCell>
        </>
      ) : (
        <TableCell colSpan={4}>
          <Typography variant="body2" color="textSecondary">
            Unavailable: {result.error.message}
          </Typography>
        </TableCell>
      )}
    </TableRow>
  );
}

/** What the gate was and where it came from, when it is not shown on a metric's row. */
function gateText(gate: GateUsed): string {
  const from =
    gate.source === 'version-tags'
      ? "the register step's version tags"
      : "the execution's GateThreshold parameter";
  if (gate.source === 'none')
    return 'The gate this version was held to is not known.';
  let verdict = '';
  if (gate.passed !== undefined)
    verdict = gate.passed ? ' — passes' : ' — fails';
  return `Gate: ${gate.metric ?? 'metric'} ≥ ${
    gate.threshold
  } (from ${from})${verdict}.`;
}

/** The candidate beside the champion, as the approver decides: metrics, gate, and the same sample through both. */
export function ComparisonView({
  comparison,
}: {
  comparison: VersionComparison;
}) {
  const { candidate, champion, metrics, gate, validation } = comparison;
  const hasChampion = champion.data?.state === 'champion';
  return (
    <div data-testid="version-comparison">
      <Typography variant="subtitle2" gutterBottom>
        Version{' '}
        <ExternalLink href={candidate.runUrl}>{candidate.version}</ExternalLink>
        {hasChampion ? (
          <>
            {' '}
            beside the champion, version{' '}
            <ExternalLink href={champion.data!.runUrl}>
              {champion.data!.version}
            </ExternalLink>
          </>
        ) : null}
      </Typography>
      {champion.error ? (
        <SectionError title="Champion" error={champion.error} />
      ) : (
        !hasChampion && (
          <Typography variant="body2" color="textSecondary" gutterBottom>
            {champion.data?.message}
          </Typography>
        )
      )}
      {metrics.error ? (
        <SectionError title="Metrics" error={metrics.error} />
      ) : (
        <MetricsTable
          metrics={metrics.data}
          gate={gate.data}
          hasChampion={hasChampion}
        />
      )}
      {gate.error ? (
        <SectionError title="Gate" error={gate.error} />
      ) : (
        <>
          <Typography variant="body2" style={{ marginTop: 8 }}>
            {gateText(gate.data)}
          </Typography>
          {/* The version's tag disagrees with what the execution ran: the approver should know it was edited. */}
          {gate.data.message && (
            <Typography
              variant="body2"
              data-testid="gate-message"
              style={{ color: DOWN }}
            >
              {gate.data.message}
            </Typography>
          )}
        </>
      )}
      <Typography variant="subtitle2" style={{ marginTop: 16 }}>
        Validation sample of version {candidate.version}, through each model
      </Typography>
      <Table size="small" aria-label="validation sample through both models">
        <TableHead>
          <TableRow>
            <TableCell />
            <TableCell align="right">Accuracy</TableCell>
            <TableCell align="right">Rows</TableCell>
            <TableCell align="right">Latency</TableCell>
            <TableCell>Served by</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          <ValidationRow label="Candidate" result={validation.candidate} />
          <ValidationRow label="Champion" result={validation.champion} />
        </TableBody>
      </Table>
    </div>
  );
}

/** Loads and shows the comparison of one version; a failure leaves the dialog usable. */
export function VersionComparisonPanel({ version }: { version: string }) {
  const api = useApi(sagemakerMlflowApiRef);
  const { compoundRef } = useEntityRefs();
  const { loading, value, error } = useAsync(
    async () => api.getVersionComparison(compoundRef, version),
    // The ref's parts, not the object made anew each render.
    [api, compoundRef.namespace, compoundRef.kind, compoundRef.name, version],
  );
  if (loading) return <Progress />;
  if (error)
    return <SectionError title="Comparison with the champion" error={error} />;
  return value ? <ComparisonView comparison={value} /> : null;
}
