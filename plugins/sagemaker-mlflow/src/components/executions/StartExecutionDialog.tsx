import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import type { StartExecutionRequest } from '@model-factory/plugin-sagemaker-mlflow-common';
import { useState } from 'react';

// SageMaker's rule for an execution display name (the backend checks the same).
const DISPLAY_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}$/;

/** `Name=Value` lines → pipeline parameters; a line without `=`, or a name given twice, is reported, not dropped. */
export function parseParameters(text: string): {
  parameters: Record<string, string>;
  invalid: string[];
} {
  const parameters: Record<string, string> = {};
  const invalid: string[] = [];
  for (const line of text
    .split('\n')
    .map(l => l.trim())
    .filter(Boolean)) {
    const at = line.indexOf('=');
    const name = line.slice(0, at).trim();
    if (at <= 0 || Object.hasOwn(parameters, name)) invalid.push(line);
    else parameters[name] = line.slice(at + 1).trim();
  }
  return { parameters, invalid };
}

/** Asks for the run's name and parameters, then confirms the start. */
export function StartExecutionDialog(props: {
  open: boolean;
  pipelineName: string;
  onClose(): void;
  onStart(request: StartExecutionRequest): Promise<void>;
}) {
  const [displayName, setDisplayName] = useState('');
  const [parametersText, setParametersText] = useState('');
  const [busy, setBusy] = useState(false);
  const { parameters, invalid } = parseParameters(parametersText);
  const badName = displayName !== '' && !DISPLAY_NAME.test(displayName);
  const start = async () => {
    setBusy(true);
    try {
      await props.onStart({
        displayName: displayName || undefined,
        parameters,
      });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={props.open} onClose={props.onClose} fullWidth maxWidth="sm">
      <DialogTitle>Start a run of {props.pipelineName}</DialogTitle>
      <DialogContent>
        <TextField
          id="start-display-name"
          label="Display name (optional)"
          helperText={
            badName
              ? 'Use letters, digits and single or repeated hyphens, starting and ending with a letter or digit (at most 82)'
              : 'Letters, digits and hyphens'
          }
          error={badName}
          value={displayName}
          onChange={e => setDisplayName(e.target.value)}
          fullWidth
          margin="dense"
        />
        <TextField
          id="start-parameters"
          label="Parameters"
          placeholder={'GateThreshold=0.95\nRegularizationC=0.5'}
          helperText={
            invalid.length
              ? `Not Name=Value, or a name given twice: ${invalid.join(', ')}`
              : 'One Name=Value per line; others keep their defaults'
          }
          error={invalid.length > 0}
          value={parametersText}
          onChange={e => setParametersText(e.target.value)}
          multiline
          minRows={3}
          fullWidth
          margin="dense"
        />
        <Typography variant="body2" color="textSecondary">
          This starts a real pipeline execution in SageMaker.
        </Typography>
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Cancel</Button>
        <Button
          color="primary"
          variant="contained"
          disabled={busy || badName || invalid.length > 0}
          onClick={start}
        >
          Start execution
        </Button>
      </DialogActions>
    </Dialog>
  );
}
