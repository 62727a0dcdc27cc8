import { act } from '@testing-library/react';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { SignalApi, signalApiRef } from '@backstage/plugin-signals-react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { demoEntity } from '../__testUtils__/renderSection';
import { useLiveRefresh } from './useLiveRefresh';

/** A message as the signal API delivers it. */
type JsonObject = Parameters<Parameters<SignalApi['subscribe']>[1]>[0];

/** A signal API whose messages the test sends (the real one holds a WebSocket to the signals backend). */
function signalsByHand() {
  const subscribers = new Map<string, Array<(m: JsonObject) => void>>();
  const api: SignalApi = {
    subscribe(channel, onMessage) {
      const list = subscribers.get(channel) ?? [];
      list.push(onMessage as (m: JsonObject) => void);
      subscribers.set(channel, list);
      return { unsubscribe: () => {} };
    },
  };
  const send = (channel: string, message: JsonObject) =>
    act(() => subscribers.get(channel)?.forEach(s => s(message)));
  return { api, send, subscribers };
}

function Section(props: { reload: () => void }) {
  useLiveRefresh('versions', props.reload);
  return <div>versions</div>;
}

describe('useLiveRefresh', () => {
  it("reloads its section on its entity's signal naming it, and only then", async () => {
    const signals = signalsByHand();
    const reload = jest.fn();
    await renderInTestApp(
      <TestApiProvider apis={[[signalApiRef, signals.api]]}>
        <EntityProvider entity={demoEntity}>
          <Section reload={reload} />
        </EntityProvider>
      </TestApiProvider>,
    );
    const channel = 'sagemaker-mlflow:component:default/demo-model';
    expect([...signals.subscribers.keys()]).toEqual([channel]);
    expect(reload).not.toHaveBeenCalled();
    signals.send(channel, { sections: ['executions'] });
    expect(reload).not.toHaveBeenCalled();
    signals.send(channel, { sections: ['executions', 'versions'] });
    expect(reload).toHaveBeenCalledTimes(1);
    signals.send(channel, { sections: ['versions'] });
    expect(reload).toHaveBeenCalledTimes(2);
  });

  it('does nothing without the signals plugin (the section keeps polling)', async () => {
    const reload = jest.fn();
    await renderInTestApp(
      <EntityProvider entity={demoEntity}>
        <Section reload={reload} />
      </EntityProvider>,
    );
    expect(reload).not.toHaveBeenCalled();
  });
});
