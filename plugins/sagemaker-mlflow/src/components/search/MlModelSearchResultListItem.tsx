import { Link } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import ListItem from '@material-ui/core/ListItem';
import ListItemIcon from '@material-ui/core/ListItemIcon';
import ListItemText from '@material-ui/core/ListItemText';
import type { SearchDocument } from '@backstage/plugin-search-common';
import { ReactNode } from 'react';
import {
  mlflowModelEntityName,
  modelEntityPath,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import { StageChip, StatusChip } from '../common';

/** The fields the Model Factory collator puts in an `ml-model` search document. */
interface MlModelDocument extends SearchDocument {
  docKind?: 'model' | 'version';
  modelName?: string;
  trackingServer?: string;
  version?: string;
  aliases?: string;
  /** The version's MLflow 2.x registry stage; empty for None. */
  stage?: string;
  approvalStatus?: string;
  metrics?: string;
  owner?: string;
  entityRef?: string;
}

/** One registered model or model version in the portal's search results. */
export function MlModelSearchResultListItem(props: {
  result?: SearchDocument;
  icon?: ReactNode;
  rank?: number;
}) {
  const doc = props.result as MlModelDocument | undefined;
  if (!doc) return null;
  const aliases = doc.aliases ? doc.aliases.split(' ').filter(Boolean) : [];
  return (
    <ListItem alignItems="flex-start" divider data-testid="ml-model-result">
      {props.icon && <ListItemIcon>{props.icon as any}</ListItemIcon>}
      <ListItemText
        primary={
          <Link to={doc.location}>
            {doc.docKind === 'version'
              ? `${doc.modelName} v${doc.version}`
              : doc.modelName ?? doc.title}
          </Link>
        }
        secondary={
          <>
            {doc.docKind === 'version' ? 'Model version' : 'Registered model'}
            {doc.owner ? ` · owner ${doc.owner}` : ''}
            {doc.entityRef ? ` · ${doc.entityRef}` : ''}
            {doc.metrics ? ` · ${doc.metrics}` : ''}
            {doc.modelName ? (
              <>
                {' · '}
                <Link
                  to={modelEntityPath(
                    mlflowModelEntityName(
                      doc.trackingServer || 'default',
                      doc.modelName,
                    ),
                  )}
                  data-testid="model-entity-link"
                >
                  model in the catalog
                </Link>
              </>
            ) : null}
            {doc.text ? (
              <Box component="span" display="block">
                {doc.text}
              </Box>
            ) : null}
          </>
        }
      />
      <Box display="flex" alignItems="center" gridGap={4}>
        {aliases.map(a => (
          <Chip key={a} size="small" color="primary" label={`@${a}`} />
        ))}
        {doc.stage && <StageChip stage={doc.stage} />}
        {doc.approvalStatus && <StatusChip status={doc.approvalStatus} />}
      </Box>
    </ListItem>
  );
}
