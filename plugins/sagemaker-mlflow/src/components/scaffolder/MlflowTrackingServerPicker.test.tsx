import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderSection } from '../../__testUtils__/renderSection';
import { MlflowTrackingServerPicker } from './MlflowTrackingServerPicker';

const servers = {
  items: [
    { name: 'default', uiUrl: 'http://mlflow.local' },
    { name: 'research', uiUrl: 'https://mlflow.research.example.com' },
  ],
};

function renderPicker(
  formData: string | undefined,
  onChange = jest.fn(),
  defaultValue = 'default',
) {
  const props = {
    formData,
    onChange,
    required: true,
    rawErrors: [],
    schema: { title: 'MLflow tracking server', default: defaultValue },
    idSchema: { $id: 'root_trackingServer' },
  } as any;
  return renderSection(<MlflowTrackingServerPicker {...props} />, {
    getMlflowServers: jest.fn().mockResolvedValue(servers),
  });
}

describe('MlflowTrackingServerPicker', () => {
  it('offers the configured servers and changes the value to the one chosen', async () => {
    const onChange = jest.fn();
    await renderPicker('default', onChange);
    expect(await screen.findByText('http://mlflow.local')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: /default/ }));
    await userEvent.click(
      await screen.findByRole('option', { name: 'research' }),
    );
    expect(onChange).toHaveBeenLastCalledWith('research');
  });

  it('replaces a default that is not configured with a server that is', async () => {
    const onChange = jest.fn();
    await renderPicker(undefined, onChange, 'missing');
    await waitFor(() => expect(onChange).toHaveBeenCalledWith('default'));
  });
});
