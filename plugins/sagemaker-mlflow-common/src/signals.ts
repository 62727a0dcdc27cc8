/**
 * Live updates: the backend publishes on an entity's channel when something of it changed upstream (a new execution
 * status, a version registered or approved, an endpoint update); an open tab refreshes the named sections instead
 * of polling. The message says only which sections changed, never what: the tab reads the data through the
 * entity's routes, with its user's permissions.
 */

/** Which sections of an entity's tab changed. */
export type SageMakerMlflowSignal = {
  sections: Array<'executions' | 'versions' | 'endpoints'>;
};

/** The signals channel of one entity, by its entity ref (`component:default/demo-model`). */
export function signalChannel(entityRef: string): string {
  return `sagemaker-mlflow:${entityRef.toLocaleLowerCase('en-US')}`;
}
