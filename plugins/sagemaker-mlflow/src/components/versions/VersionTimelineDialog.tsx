import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import Link from '@material-ui/core/Link';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemIcon from '@material-ui/core/ListItemIcon';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import CheckCircle from '@material-ui/icons/CheckCircle';
import ErrorIcon from '@material-ui/icons/Error';
import HelpOutline from '@material-ui/icons/HelpOutline';
import Block from '@material-ui/icons/Block';
import Schedule from '@material-ui/icons/Schedule';
import Sync from '@material-ui/icons/Sync';
import Warning from '@material-ui/icons/Warning';
import {
  TimelineStage,
  TimelineStageStatus,
  VERSION_QUERY_PARAM,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import { ReactNode } from 'react';
import { useSearchParams } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import { sagemakerMlflowApiRef } from '../../api/SageMakerMlflowApi';
import { ExternalLink, formatTime, useEntityRefs } from '../common';

const STATUS: Record<TimelineStageStatus, { icon: ReactNode; label: string }> =
  {
    succeeded: {
      icon: <CheckCircle htmlColor="#2e7d32" />,
      label: 'Succeeded',
    },
    failed: { icon: <ErrorIcon color="error" />, label: 'Failed' },
    running: { icon: <Sync color="primary" />, label: 'Running' },
    pending: { icon: <Schedule color="action" />, label: 'Pending' },
    'not-recorded': {
      icon: <HelpOutline color="disabled" />,
      label: 'Not recorded',
    },
    'not-followed': { icon: <Block color="error" />, label: 'Not followed' },
    unavailable: { icon: <Warning color="error" />, label: 'Unavailable' },
  };

/** The drill-down's URL state: `?version=N` on the tab, so a notification's link lands on it. */
export function useVersionDrillDown() {
  const [params, setParams] = useSearchParams();
  const version = params.get(VERSION_QUERY_PARAM) ?? undefined;
  const set = (next?: string) =>
    setParams(
      current => {
        const updated = new URLSearchParams(current);
        if (next) updated.set(VERSION_QUERY_PARAM, next);
        else updated.delete(VERSION_QUERY_PARAM);
        return updated;
      },
      { replace: !next },
    );
  return { version, open: (v: string) => set(v), close: () => set() };
}

/** A version number in the versions table that opens its timeline. */
export function VersionDrillDownLink(props: {
  version: string;
  children: ReactNode;
}) {
  const { open } = useVersionDrillDown();
  return (
    <Link
      component="button"
      title={`Open the timeline of version ${props.version}`}
      onClick={() => open(props.version)}
    >
      {props.children}
    </Link>
  );
}

function Stage({ stage }: { stage: TimelineStage }) {
  const status = STATUS[stage.status];
  return (
    <ListItem
      alignItems="flex-start"
      divider
      data-testid={`stage-${stage.kind}`}
    >
      <ListItemIcon title={status.label} aria-label={status.label}>
        <>{status.icon}</>
      </ListItemIcon>
      <ListItemText
        disableTypography
        primary={
          <Box display="flex" justifyContent="space-between">
            <Typography variant="subtitle2">
              <ExternalLink href={stage.url}>{stage.title}</ExternalLink>
            </Typography>
            <Typography variant="caption" color="textSecondary">
              {status.label}
              {stage.time ? ` · ${formatTime(stage.time)}` : ''}
            </Typography>
          </Box>
        }
        secondary={
          <>
            {stage.message && (
              <Typography variant="body2" color="textSecondary">
                {stage.message}
              </Typography>
            )}
            {stage.details.map((d, i) => (
              <Typography key={i} variant="body2" component="div">
                <span style={{ opacity: 0.7 }}>{d.label}: </span>
                <ExternalLink href={d.url}>{d.value}</ExternalLink>
              </Typography>
            ))}
          </>
        }
      />
    </ListItem>
  );
}

/** One version's timeline, opened from the versions table or from `?version=N`; closing removes the parameter. */
export function VersionTimelineDialog() {
  const api = useApi(sagemakerMlflowApiRef);
  const { compoundRef } = useEntityRefs();
  const { version, close } = useVersionDrillDown();
  const timeline = useAsync(
    async () =>
      version ? api.getVersionTimeline(compoundRef, version) : undefined,
    [version, compoundRef.namespace, compoundRef.kind, compoundRef.name],
  );
  return (
    <Dialog open={Boolean(version)} onClose={close} fullWidth maxWidth="md">
      <DialogTitle>Version {version} timeline</DialogTitle>
      <DialogContent dividers>
        {timeline.loading && <Progress />}
        {timeline.error && <ResponseErrorPanel error={timeline.error} />}
        {timeline.value && (
          <List dense aria-label={`Timeline of version ${version}`}>
            {timeline.value.stages.map((stage, i) => (
              <Stage key={i} stage={stage} />
            ))}
          </List>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={close}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}
