import { useApi } from '@backstage/core-plugin-api';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import { useEffect, useMemo } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { sagemakerMlflowApiRef } from '../../api/SageMakerMlflowApi';

/**
 * Scaffolder field `MlflowTrackingServerPicker`: one of the MLflow tracking servers the portal is configured with
 * (sagemakerMlflow.mlflow.servers), so a template never asks for, or stores, a tracking server's URL.
 */
export function MlflowTrackingServerPicker(
  props: FieldExtensionComponentProps<string>,
) {
  const { formData, onChange, required, rawErrors, schema, idSchema } = props;
  const api = useApi(sagemakerMlflowApiRef);
  const servers = useAsync(() => api.getMlflowServers(), [api]);
  const names = useMemo(
    () => servers.value?.items.map(s => s.name) ?? [],
    [servers.value],
  );

  // One configured server, or a default that is not configured: pick what exists.
  useEffect(() => {
    if (names.length > 0 && (!formData || !names.includes(formData))) {
      onChange(
        names.includes(String(schema.default))
          ? String(schema.default)
          : names[0],
      );
    }
  }, [names, formData, onChange, schema.default]);

  const uiUrl = servers.value?.items.find(s => s.name === formData)?.uiUrl;
  return (
    <TextField
      id={idSchema?.$id}
      select
      fullWidth
      margin="normal"
      label={schema.title ?? 'MLflow tracking server'}
      required={required}
      value={names.includes(formData ?? '') ? formData : ''}
      onChange={event => onChange(event.target.value)}
      disabled={servers.loading || names.length === 0}
      error={Boolean(servers.error) || (rawErrors?.length ?? 0) > 0}
      helperText={
        servers.error
          ? `Could not list the tracking servers: ${servers.error.message}`
          : rawErrors?.[0] ??
            (!servers.loading && names.length === 0
              ? 'No MLflow tracking server is configured (sagemakerMlflow.mlflow.servers)'
              : uiUrl ?? schema.description)
      }
      InputLabelProps={{ shrink: true }}
    >
      {names.map(name => (
        <MenuItem key={name} value={name}>
          {name}
        </MenuItem>
      ))}
    </TextField>
  );
}
