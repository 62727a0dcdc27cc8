import { CodeSnippet } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import ToggleButton from '@material-ui/lab/ToggleButton';
import ToggleButtonGroup from '@material-ui/lab/ToggleButtonGroup';
import {
  endpointInvokePermission,
  InvocationResult,
  ValidationResult,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { sagemakerMlflowApiRef } from '../../api/SageMakerMlflowApi';
import { SectionError, useEntityRefs } from '../common';
import { ValidationChart } from './ValidationChart';

type Format = 'json' | 'csv';
const CONTENT_TYPE: Record<Format, string> = {
  json: 'application/json',
  csv: 'text/csv',
};

/** Send a JSON or CSV request to the endpoint, or run the model's validation sample through it. */
export function EndpointTestConsole({
  endpointName,
}: {
  endpointName: string;
}) {
  const api = useApi(sagemakerMlflowApiRef);
  const { compoundRef, entityRef } = useEntityRefs();
  const { allowed, loading: permissionLoading } = usePermission({
    permission: endpointInvokePermission,
    resourceRef: entityRef,
  });
  const example = useAsync(
    () => api.getEndpointExample(compoundRef, endpointName),
    [endpointName],
  );
  const [format, setFormat] = useState<Format>('json');
  // What the user typed, per format; until they type, the example is shown (so it never overwrites their text).
  const [drafts, setDrafts] = useState<Partial<Record<Format, string>>>({});
  const payload = drafts[format] ?? example.value?.[format] ?? '';
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<InvocationResult>();
  const [validation, setValidation] = useState<ValidationResult>();
  const [error, setError] = useState<Error>();

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    setResult(undefined); // an earlier answer must not look like this run's
    setValidation(undefined);
    try {
      await action();
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Box mt={2} data-testid={`test-console-${endpointName}`}>
      <Typography variant="subtitle1">Test console</Typography>
      {!permissionLoading && !allowed && (
        <Typography variant="body2" color="textSecondary">
          Invoking this endpoint needs the sagemaker-mlflow.endpoint.invoke
          permission, which the owners of this component have.
        </Typography>
      )}
      <ToggleButtonGroup
        size="small"
        exclusive
        value={format}
        onChange={(_e, value) => value && setFormat(value)}
      >
        <ToggleButton value="json">JSON</ToggleButton>
        <ToggleButton value="csv">CSV</ToggleButton>
      </ToggleButtonGroup>
      {example.error && (
        <SectionError title="Example request" error={example.error} />
      )}
      <TextField
        id={`payload-${endpointName}`}
        label={`Request (${CONTENT_TYPE[format]})`}
        value={payload}
        onChange={e => setDrafts({ ...drafts, [format]: e.target.value })}
        multiline
        minRows={6}
        maxRows={16}
        fullWidth
        variant="outlined"
        margin="dense"
        inputProps={{
          spellCheck: false,
          style: { fontFamily: 'monospace', fontSize: 12 },
        }}
      />
      <Box display="flex" gridGap={8}>
        <Button
          variant="contained"
          color="primary"
          disabled={!allowed || busy || !payload}
          onClick={() =>
            run(async () =>
              setResult(
                await api.invokeEndpoint(
                  compoundRef,
                  endpointName,
                  payload,
                  CONTENT_TYPE[format],
                ),
              ),
            )
          }
        >
          Invoke
        </Button>
        <Button
          variant="outlined"
          disabled={!allowed || busy}
          onClick={() =>
            run(async () =>
              setValidation(
                await api.validateEndpoint(compoundRef, endpointName),
              ),
            )
          }
        >
          Validate
        </Button>
      </Box>
      {error && <SectionError title="Endpoint" error={error} />}
      {result && (
        <Box mt={1} data-testid="invocation-result">
          <Typography variant="body2">
            HTTP {result.statusCode} in {result.latencyMs} ms
          </Typography>
          <CodeSnippet
            language="json"
            text={
              typeof result.body === 'string'
                ? result.body
                : JSON.stringify(result.body, null, 2)
            }
          />
        </Box>
      )}
      {validation && <ValidationChart result={validation} />}
    </Box>
  );
}
