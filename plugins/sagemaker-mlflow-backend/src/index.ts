export { sagemakerMlflowPlugin as default } from './plugin';
