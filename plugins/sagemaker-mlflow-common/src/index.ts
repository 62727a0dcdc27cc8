/**
 * Types, annotation names and permissions shared by the Model Factory frontend and backend plugins.
 *
 * @packageDocumentation
 */
export * from './annotations';
export * from './permissions';
export * from './api';
export * from './binding';
export * from './conventions';
export * from './signals';
// The backend's client, generated from openapi.yaml (the frontend wraps it in its API).
export { DefaultApiClient } from './schema/openapi/generated';
export type { TypedResponse } from './schema/openapi/generated';
export * from './modelEntities';
