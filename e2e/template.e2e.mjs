// As the demo model's owner: create a model project with the create-model-project template in the portal, run
// the generated repository's own code once (as its CI would), and see that run on the new component's tab.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { BASE_URL, openBrowser, screenshot, signedInPage } from './browser.mjs';

const NAME = 'fraud-model';
let browser;
let page;
let errors;

before(async () => {
  browser = await openBrowser();
  ({ page, errors } = await signedInPage(browser, '/create/templates/default/create-model-project'));
});
after(() => browser?.close());

test('fills in the template, runs it and registers the new component', async () => {
  await page.locator('#root_name').fill(NAME, { timeout: 60_000 });
  await page.locator('#root_description').fill('Flags fraudulent card payments');
  await page.locator('#root_owner').click();
  await page.locator('#root_owner').fill('ml-platform');
  await page.getByRole('option', { name: /ml-platform/ }).first().click();
  await screenshot(page, 'template-form');
  await page.getByRole('button', { name: 'Next' }).click();
  // The tracking server picker lists the configured servers and shows the chosen one's UI address.
  await page.getByText(process.env.MODEL_FACTORY_TEST_MLFLOW_URL, { exact: true }).waitFor({ timeout: 30_000 });
  await screenshot(page, 'template-form-training');
  for (let step = 0; step < 2; step++) await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  const open = page.getByRole('link', { name: 'Open the component' });
  await open.waitFor({ timeout: 120_000 });
  await screenshot(page, 'template-run');
  await open.click();
  await page.waitForURL(new RegExp(`/catalog/default/component/${NAME}`));
});

/** Opens the new component's tab until `ready` shows: the catalog and the backend cache catch up on their own. */
async function openTabUntil(ready, what) {
  for (let i = 0; i < 12; i++) {
    await page.goto(`${BASE_URL}/catalog/default/component/${NAME}/sagemaker-mlflow`);
    if (await ready().waitFor({ timeout: 10_000 }).then(() => true, () => false)) return;
  }
  const shown = await page.getByTestId('versions-table').innerText().catch(() => '(no versions table)');
  await screenshot(page, 'new-project-tab-failed');
  assert.fail(`${what} did not show on the tab; the versions table showed:\n${shown}`);
}

test('before its first CI run, the tab says what will create the pipeline and the endpoint', async () => {
  // catalog:register returns before the catalog has processed the new entity.
  await openTabUntil(() => page.getByText('Pipeline executions: no pipeline yet'), 'the missing pipeline');
  // One panel per release stage's endpoint (staging, production), neither deployed yet.
  await page.getByText('Not deployed yet').first().waitFor({ timeout: 30_000 });
  assert.equal(await page.getByText('Not deployed yet').count(), 2);
  await page.getByTestId('versions-table').getByText('No version of this model is registered yet.').waitFor({ timeout: 30_000 });
});

test("the generated project's first run shows on its tab: an execution and a version pending approval", () => {
  const repo = path.join(process.env.E2E_REPOSITORIES, NAME);
  const env = {
    ...process.env,
    MLFLOW_TRACKING_URI: process.env.MODEL_FACTORY_TEST_MLFLOW_URL,
    AWS_ENDPOINT_URL: process.env.MODEL_FACTORY_TEST_SAGEMAKER_ENDPOINT,
    AWS_ACCESS_KEY_ID: 'model-factory-local',
    AWS_SECRET_ACCESS_KEY: 'model-factory-local',
    AWS_DEFAULT_REGION: 'us-east-1',
    SAGEMAKER_TELEMETRY_OPT_OUT: 'true',
  };
  // The stack's seed provisioned the template's default role and bucket; this is what the repository's CI runs:
  // the emulator runs the execution (dev/emulator), which trains and registers; --wait fails unless it succeeds.
  const ended = JSON.parse(execFileSync('python', ['-W', 'ignore', '-m', 'pipelines.run_pipeline', '--display-name', 'first-run', '--wait'], { cwd: repo, env }).toString());
  assert.equal(ended.status, 'Succeeded');
});

test('the tab of the new component', async () => {
  // The tab was read before the run: the backend may answer from its cache (30 s TTL) for a while.
  await openTabUntil(() => page.getByTestId('versions-table').getByText('Pending approval'), 'the registered version');
  await page.getByTestId('executions-table').getByText('first-run').waitFor({ timeout: 30_000 });
  await screenshot(page, 'new-project-tab');
  assert.deepEqual(errors, []);
});
