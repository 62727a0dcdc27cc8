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
