import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import { useState } from 'react';
import { VersionComparisonPanel } from './VersionComparisonPanel';

/**
 * Confirms an approval or rejection, with the comment SageMaker keeps as the approval description, beside the
 * evidence: the version against the champion (the server records the same comparison with the decision).
 */
export function ApprovalDialog(props: {
  version?: string;
  status?: 'Approved' | 'Rejected';
  onClose(): void;
  onConfirm(comment: string): Promise<void>;
}) {
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const verb = props.status === 'Approved' ? 'Approve' : 'Reject';
  return (
    <Dialog
      open={Boolean(props.version)}
      onClose={props.onClose}
      fullWidth
      maxWidth="md"
    >
      <DialogTitle>
        {verb} version {props.version}
      </DialogTitle>
      <DialogContent>
        {props.version && <VersionComparisonPanel version={props.version} />}
        <TextField
          id="approval-comment"
          label="Comment"
          value={comment}
          onChange={e => setComment(e.target.value)}
          fullWidth
          margin="normal"
          multiline
          minRows={2}
        />
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Cancel</Button>
        <Button
          color="primary"
          variant="contained"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            try {
              await props.onConfirm(comment);
              setComment('');
            } finally {
              setBusy(false);
            }
          }}
        >
          {verb}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
