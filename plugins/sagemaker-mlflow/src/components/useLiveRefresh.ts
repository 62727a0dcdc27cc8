import { useSignal } from '@backstage/plugin-signals-react';
import {
  SageMakerMlflowSignal,
  signalChannel,
} from '@model-factory/plugin-sagemaker-mlflow-common';
import { useEffect, useRef } from 'react';
import { useEntityRefs } from './common';

/**
 * Reloads a section when the backend signals that it changed upstream (an execution finished, a version was
 * registered or approved, an endpoint updated). Without the signals plugin nothing happens here: the section keeps
 * its own polling, which stays on in any case for what the backend's watcher does not see between its runs.
 */
export function useLiveRefresh(
  section: SageMakerMlflowSignal['sections'][number],
  reload: () => void,
): void {
  const { entityRef } = useEntityRefs();
  const { lastSignal } = useSignal<SageMakerMlflowSignal>(
    signalChannel(entityRef),
  );
  // The latest reload without making it a dependency: a new signal, not a new render, reloads.
  const reloadRef = useRef(reload);
  reloadRef.current = reload;
  useEffect(() => {
    if (lastSignal?.sections?.includes(section)) reloadRef.current();
  }, [lastSignal, section]);
}
