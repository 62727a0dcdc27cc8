// As a user who can read the demo model but does not own it: every write control is disabled, with a reason.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, screenshot, signedInPage } from './browser.mjs';

let browser;
let page;

before(async () => {
  browser = await openBrowser();
  ({ page } = await signedInPage(browser, '/catalog/default/component/demo-model/sagemaker-mlflow'));
});
after(() => browser?.close());

test('a non-owner sees the data but no enabled write control', async () => {
  await page.getByText('@champion').waitFor({ timeout: 60_000 });
  // The explanation shows only once the permission answer is in, so the disabled controls below are that answer.
  const console_ = page.getByTestId('test-console-demo-model-staging');
  await console_.getByText(/needs the sagemaker-mlflow.endpoint.invoke permission/).waitFor();
  assert.ok(await page.getByRole('button', { name: 'Start execution' }).isDisabled());
  const approve = page.getByRole('button', { name: 'Approve' });
  assert.ok((await approve.count()) > 0);
  for (const button of await approve.all()) assert.ok(await button.isDisabled());
  assert.ok(await console_.getByRole('button', { name: 'Invoke' }).isDisabled());
  assert.ok(await console_.getByRole('button', { name: 'Validate' }).isDisabled());
  await screenshot(page, 'viewer-tab');
});
