// The plugins installed into a fresh create-app portal by scripts/test-install (README "Installing the plugins in
// your own Backstage"): the tab on the demo entity, no tab without the annotations, the backend modules loaded.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, openBrowser, screenshot, signedInPage } from './browser.mjs';

let browser;
before(async () => {
  browser = await openBrowser();
});
after(() => browser?.close());

async function guestToken() {
  const response = await fetch(`${BASE_URL}/api/auth/guest/refresh`);
  assert.equal(response.status, 200, 'the fresh app signs in guests');
  return (await response.json()).backstageIdentity.token;
}

test('the Model Factory tab shows the demo model from the emulator and MLflow', async () => {
  const { page, errors } = await signedInPage(
    browser,
    '/catalog/default/component/demo-model',
  );
  // Found by the app's package discovery (app.packages: all), not by any code in the app. The entity page's tabs
  // are links.
  await page
    .getByRole('link', { name: 'Model Factory', exact: true })
    .click({ timeout: 60_000 });
  await page.waitForURL(/\/sagemaker-mlflow$/);
  const executions = page.getByTestId('executions-table');
  await executions.getByText('Succeeded').first().waitFor({ timeout: 60_000 });
  await page
    .getByTestId('versions-table')
    .getByText('@champion')
    .waitFor({ timeout: 30_000 });
  await page
    .getByText('Endpoint demo-model-staging')
    .waitFor({ timeout: 30_000 });
  await page.getByText('InService').first().waitFor();
  await screenshot(page, 'fresh-app-tab');
  assert.deepEqual(errors, []);
});

test('an entity without the annotations has no Model Factory tab', async () => {
  const { page, errors } = await signedInPage(
    browser,
    '/catalog/default/component/example-website',
  );
  await page
    .getByRole('link', { name: 'Overview', exact: true })
    .waitFor({ timeout: 60_000 });
  assert.equal(
    await page
      .getByRole('link', { name: 'Model Factory', exact: true })
      .count(),
    0,
  );
  assert.deepEqual(errors, []);
});

test('the scaffolder module registered its actions and the catalog has the template', async () => {
  const headers = { authorization: `Bearer ${await guestToken()}` };
  const actions = await (
    await fetch(`${BASE_URL}/api/scaffolder/v2/actions`, { headers })
  ).json();
  const ids = actions.map(action => action.id);
  for (const id of [
    'mlflow:experiment:create',
    'sagemaker:model-package-group:create',
    'sagemaker-mlflow:publish:local',
  ]) {
    assert.ok(ids.includes(id), `${id} is not among the scaffolder's actions`);
  }
  const template = await fetch(
    `${BASE_URL}/api/catalog/entities/by-name/template/default/create-model-project`,
    { headers },
  );
  assert.equal(template.status, 200);
});

test('the backend plugin answers for the demo entity with the caller’s credentials', async () => {
  const headers = { authorization: `Bearer ${await guestToken()}` };
  const response = await fetch(
    `${BASE_URL}/api/sagemaker-mlflow/v1/entities/default/component/demo-model/summary`,
    { headers },
  );
  assert.equal(response.status, 200);
  const summary = await response.json();
  assert.equal(summary.champion.data.version.length > 0, true);
  const anonymous = await fetch(
    `${BASE_URL}/api/sagemaker-mlflow/v1/entities/default/component/demo-model/summary`,
  );
  assert.equal(anonymous.status, 401);
});
