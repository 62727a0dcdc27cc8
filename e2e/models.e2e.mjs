// Models first-class (as the demo model's owner): the owner is told in the portal that the newest version awaits
// approval, follows the notification to the version's timeline, approves it beside the champion, and an open tab
// follows a decision made elsewhere without a reload. The model is an entity of the catalog too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ListTagsCommand,
  SageMakerClient,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { BASE_URL, openBrowser, screenshot, signedInPage } from './browser.mjs';

const MLFLOW = process.env.MODEL_FACTORY_TEST_MLFLOW_URL;
const TAB = '/catalog/default/component/demo-model/sagemaker-mlflow';
const sagemaker = new SageMakerClient({
  endpoint: process.env.MODEL_FACTORY_TEST_SAGEMAKER_ENDPOINT,
  region: 'us-east-1',
  credentials: { accessKeyId: 'model-factory-local', secretAccessKey: 'model-factory-local' },
});
let browser;
let page;
let errors;
let pending; // { version, packageArn }: the candidate, the newest version that is not the champion
let championServed; // whether the staging endpoint serves the champion (earlier layers may move the alias)

/** The versions table's row of the pending version. */
const versionRow = () =>
  page.getByTestId('versions-table').locator('tbody tr', { has: page.locator(`[id="model-version-${pending.version}"]`) });

async function mlflow(api) {
  return (await fetch(`${MLFLOW}/api/2.0/mlflow/${api}`)).json();
}

/** The demo model's newest version that is not its champion, and the model package its tag names. */
async function candidateVersion(champion) {
  const { model_versions: versions } = await mlflow(
    `model-versions/search?filter=${encodeURIComponent("name='demo-model'")}&max_results=1000`,
  );
  const newest = versions
    .filter(v => v.version !== champion && v.tags?.some(t => t.key === 'sagemaker.model_package_arn'))
    .sort((a, b) => Number(b.version) - Number(a.version))[0];
  const packageArn = newest.tags.find(t => t.key === 'sagemaker.model_package_arn').value;
  return { version: newest.version, packageArn };
}

/** What EventBridge would post for a model package's state change (the portal re-reads the package itself). */
async function postPackageEvent(packageArn, status) {
  const res = await fetch(`${BASE_URL}/api/events/http/aws.sagemaker`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      version: '0',
      id: crypto.randomUUID(),
      'detail-type': 'SageMaker Model Package State Change',
      source: 'aws.sagemaker',
      account: '123456789012',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [packageArn],
      detail: { ModelPackageGroupName: 'demo-model', ModelPackageArn: packageArn, ModelApprovalStatus: status },
    }),
  });
  assert.ok(res.ok, `events ingress answered ${res.status}`);
}

before(async () => {
  browser = await openBrowser();
  ({ page, errors } = await signedInPage(browser, '/notifications'));
  const champion = (await mlflow('registered-models/alias?name=demo-model&alias=champion')).model_version.version;
  pending = await candidateVersion(champion);
  const staging = await sagemaker.send(
    new ListTagsCommand({ ResourceArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/demo-model-staging' }),
  );
  championServed = staging.Tags.some(t => t.Key === 'mlflow.model_version' && t.Value === champion);
  // As its Register step leaves a version: pending approval. Node runs the e2e files in name order, so this comes
  // before the owner tab's own execution, after layers that may have decided that version (never the champion's).
  await sagemaker.send(
    new UpdateModelPackageCommand({ ModelPackageArn: pending.packageArn, ModelApprovalStatus: 'PendingManualApproval' }),
  );
});
after(() => browser?.close());

test('tells the owner in the portal that a version awaits approval, and links to it', async () => {
  // SageMaker's event makes it immediate; without it the watcher's schedule finds it within a minute.
  await postPackageEvent(pending.packageArn, 'PendingManualApproval');
  // The title names the component by its title ("Demo breast-cancer classifier").
  const title = new RegExp(`^Version ${pending.version} of .+ awaits approval$`);
  const item = page.getByText(title);
  for (let i = 0; i < 12; i++) {
    if (await item.first().waitFor({ timeout: 5_000 }).then(() => true, () => false)) break;
    await page.reload();
  }
  // Once, though the component and the model's catalog entity both name the package.
  assert.equal(await item.count(), 1, 'told once');
  await screenshot(page, 'notifications');
  await item.click();
  await page.waitForURL(new RegExp(`/sagemaker-mlflow\\?version=${pending.version}$`));
});

test("the version's timeline links every stage to its source system", async () => {
  const timeline = page.getByRole('list', { name: `Timeline of version ${pending.version}` });
  await timeline.waitFor({ timeout: 30_000 });
  for (const kind of ['commit', 'pipeline-execution', 'mlflow-run', 'registration', 'approval', 'deployment']) {
    const stage = timeline.getByTestId(`stage-${kind}`);
    await stage.waitFor({ timeout: 30_000 });
  }
  // The execution that made it and its MLflow run, each opening the system it is in.
  const runLink = timeline.getByTestId('stage-mlflow-run').getByRole('link').first();
  assert.match(await runLink.getAttribute('href'), new RegExp(`^${MLFLOW}/#/experiments/`));
  assert.match(await timeline.getByTestId('stage-registration').innerText(), /model-package\/demo-model\//);
  await screenshot(page, 'version-timeline', page.getByRole('dialog'));
  await page.keyboard.press('Escape');
  await page.waitForURL(/\/sagemaker-mlflow$/);
});

test('approves the version beside the champion: metrics with their difference, the gate, validation', async () => {
  const row = versionRow();
  await row.getByRole('button', { name: 'Approve' }).click();
  const dialog = page.getByRole('dialog');
  const comparison = dialog.getByTestId('version-comparison');
  await comparison.getByTestId('metric-accuracy').waitFor({ timeout: 30_000 });
  assert.match(await comparison.innerText(), /champion/i);
  // The champion is served on the staging route: the same sample went through it.
  await comparison.getByTestId('validation-Champion').waitFor();
  // Where the staging endpoint serves the champion, the same sample went through it; else the dialog says why not.
  assert.match(
    await comparison.getByTestId('validation-Champion').innerText(),
    championServed ? /\d+(\.\d+)?%/ : /Unavailable: /,
  );
  await screenshot(page, 'approval-comparison', dialog);
  await dialog.getByLabel(/comment/i).fill('e2e: better than the champion on the sample');
  await dialog.getByRole('button', { name: 'Approve' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await row.getByText('Approved').waitFor({ timeout: 30_000 });
});

test('an open tab follows a decision made elsewhere, without a reload', async () => {
  const row = versionRow();
  await row.getByText('Approved').waitFor();
  const navigations = [];
  page.on('framenavigated', frame => frame === page.mainFrame() && navigations.push(frame.url()));
  // A reviewer rejects it in SageMaker Studio; EventBridge tells the portal, which signals the open tab.
  await sagemaker.send(new UpdateModelPackageCommand({ ModelPackageArn: pending.packageArn, ModelApprovalStatus: 'Rejected' }));
  await postPackageEvent(pending.packageArn, 'Rejected');
  await row.getByText('Rejected').waitFor({ timeout: 30_000 });
  assert.deepEqual(navigations, [], 'the page was not reloaded');
});

test('the model is a catalog entity owned by its component\'s owner, linked from the tab', async () => {
  await page.goto(`${BASE_URL}${TAB}`);
  await page.getByTestId('model-entity-link').click();
  await page.waitForURL(/\/catalog\/default\/resource\//);
  // The catalog module's first run comes shortly after start-up (every minute locally): until then, not found.
  const about = page.getByText('About').first();
  for (let i = 0; i < 12; i++) {
    if (await about.waitFor({ timeout: 10_000 }).then(() => true, () => false)) break;
    await page.reload();
  }
  await about.waitFor({ timeout: 1_000 });
  await page.getByText('ml-model').first().waitFor({ timeout: 30_000 });
  await page.getByRole('link', { name: 'ml-platform' }).first().waitFor();
  await screenshot(page, 'model-entity');
  assert.deepEqual(errors, []);
});
