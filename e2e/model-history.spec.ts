import AxeBuilder from '@axe-core/playwright';
import { createS3Client } from '../platform/s3-client.ts';
import { putDecision, sampleDecision } from '../test/support/model-decisions.ts';
import { expect, test } from './stack-fixture.ts';
import { publishReport, realisticMetrics } from './support/publish-report.ts';

const PHONE = { viewport: { width: 360, height: 780 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

test.describe('the Accuracy page at 360 × 780', () => {
  test.use(PHONE);

  test('shows accuracy per model version over time and the decision history, accessibly', async ({
    page,
    stack,
  }) => {
    test.setTimeout(120_000);
    const s3 = createS3Client(stack.gatewayConfig.s3);
    const refused = sampleDecision('refused', '1', '2', 180);
    const promoted = sampleDecision('promoted', '1', '2', 120);
    const rolledBack = sampleDecision('rolled-back', '2', '1', 60);
    try {
      for (const d of [refused, promoted, rolledBack]) await putDecision(s3, stack.gatewayConfig.bucket, d);
    } finally {
      s3.destroy();
    }
    const metrics = realisticMetrics('e2e-history');
    await publishReport(stack, metrics);

    await page.goto('/#/accuracy');
    const digits = page.getByTestId('model-history-digits');
    await expect(digits).toBeVisible();
    // The stack serves the committed repository: no serving.json, so the newest is the default.
    await expect(digits.getByTestId('default-version')).toHaveText('Version 2 is the one in use now.');

    const decisions = digits.getByTestId('decision');
    await expect(decisions).toHaveCount(3);
    expect(await decisions.evaluateAll((items) => items.map((i) => i.getAttribute('data-outcome')))).toEqual([
      'rolled-back',
      'promoted',
      'refused',
    ]);
    await expect(decisions.nth(0)).toContainText('Rolled back');
    await expect(decisions.nth(0)).toContainText('v2 → v1');
    await expect(decisions.nth(1)).toContainText(promoted.summary);
    await decisions.nth(1).locator('summary').click();
    const userLabels = decisions.nth(1).getByRole('row', { name: /user-labels/ });
    await expect(userLabels).toContainText('81%');
    await expect(userLabels).toContainText('90%');
    await expect(userLabels).toContainText('+9.0 pt (+7.0 to +11.0)');
    await expect(userLabels).toContainText('yes');

    // One row per version and day the report has for digits, newest day first.
    const expected = metrics.models
      .filter((m) => m.model === 'digits')
      .flatMap((m) => m.days.map((d) => ({ version: m.version, day: d.day })));
    const rows = digits.getByTestId('version-days').locator('tbody tr');
    await expect(rows).toHaveCount(expected.length);
    const newestDay = expected
      .map((e) => e.day)
      .sort()
      .at(-1) as string;
    await expect(rows.first().locator('th time')).toHaveAttribute('datetime', newestDay);
    await expect(digits.getByTestId('accuracy-chart')).toBeVisible();

    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      for (const details of await page.getByTestId('decision').locator('details').all()) {
        if (!(await details.getAttribute('open'))) await details.locator('summary').click();
      }
      const { violations } = await new AxeBuilder({ page }).analyze();
      expect(
        violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
        `Accuracy with the models' history (${colorScheme})`,
      ).toEqual([]);
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  });
});
