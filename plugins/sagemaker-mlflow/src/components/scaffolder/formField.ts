import { createFormField } from '@backstage/plugin-scaffolder-react/alpha';
import { MlflowTrackingServerPicker } from './MlflowTrackingServerPicker';

/** The New Frontend System form field, loaded by the scaffolder when a template's form needs it. */
export const mlflowTrackingServerPickerFormField = createFormField({
  name: 'MlflowTrackingServerPicker',
  component: MlflowTrackingServerPicker,
});
