// The plugins installed into a fresh create-app portal by scripts/test-install (README "Installing the plugins in
// your own Backstage"), New Frontend System or legacy (E2E_VARIANT): the card and the tab on the demo entity, no
// tab without the annotations, the backend modules loaded.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, openBrowser, screenshot } from './browser.mjs';

const VARIANT = process.env.E2E_VARIANT ?? 'nfs';
let browser;
before(async () => {
  browser = await openBrowser();
});
after(() => browser?.close());

/** A page signed in as the guest; the legacy template's sign-in page may enter by itself (`auto`). */
async function open(url) {
  const page = await browser.newPage({
    viewport: { width: 1400, height: 1000 },
  });
  const errors = [];
  page.on('pageerror', error => errors.push(String(error)));
  await page.goto(`${BASE_URL}${url}`);
  const enter = page.getByRole('button', { name: /enter/i });
  const overview = entityTab(page, 'Overview');
  await enter.or(overview).first().waitFor({ timeout: 60_000 });
  if (await enter.isVisible()) await enter.click();
  await overview.waitFor({ timeout: 60_000 });
  return { page, errors };
}

// The entity page's tabs: links in the New Frontend System, tabs in the legacy EntityLayout.
function entityTab(page, name) {
  return page
    .getByRole('link', { name, exact: true })
    .or(page.getByRole('tab', { name, exact: true }));
}

async function guestToken() {
  const response = await fetch(`${BASE_URL}/api/auth/guest/refresh`);
  assert.equal(response.status, 200, 'the fresh app signs in guests');
  return (await response.json()).backstageIdentity.token;
}

test('the overview card and the Model Factory tab show the demo model from the emulator and MLflow', async () => {
  const { page, errors } = await open('/catalog/default/component/demo-model');
  await page
    .getByTestId('model-factory-card')
    .getByText('Champion')
    .waitFor({ timeout: 60_000 });
  // New Frontend System: found by the app's package discovery (app.packages: all), no code in the app.
  await entityTab(page, 'Model Factory').click();
  await page.waitForURL(/\/sagemaker-mlflow$/);
  // Any execution's status: on the shared test stack the newest page may hold only executions that earlier
  // layers started and stopped.
  await page
    .getByTestId('executions-table')
    .locator('tbody tr')
    .getByText(/Succeeded|Executing|Stopping|Stopped|Failed/)
    .first()
    .waitFor({ timeout: 60_000 });
  await page
    .getByTestId('versions-table')
    .getByText('@champion')
    .waitFor({ timeout: 30_000 });
  await page
    .getByText('Endpoint demo-model-staging')
    .waitFor({ timeout: 30_000 });
  await page.getByText('InService').first().waitFor();
  await screenshot(page, `fresh-app-${VARIANT}-tab`);
  assert.deepEqual(errors, []);
});

test('an entity without the annotations has no Model Factory tab', async () => {
  const { page, errors } = await open(
    '/catalog/default/component/example-website',
  );
  await page
    .getByText('About', { exact: true })
    .first()
    .waitFor({ timeout: 30_000 }); // the overview's cards are in
  assert.equal(await entityTab(page, 'Model Factory').count(), 0);
  assert.equal(await page.getByTestId('model-factory-card').count(), 0);
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

test('the backend plugin answers for the demo entity with the caller’s credentials only', async () => {
  const url = `${BASE_URL}/api/sagemaker-mlflow/v1/entities/default/component/demo-model/summary`;
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${await guestToken()}` },
  });
  assert.equal(response.status, 200);
  assert.ok((await response.json()).champion.data.version);
  assert.equal((await fetch(url)).status, 401);
});
