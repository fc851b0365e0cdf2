// axe-core in the page: injects node_modules/axe-core/axe.min.js and returns the serious and
// critical violations of the current screen, each with the elements that fail. Injected by
// evaluation, not as a <script> tag: the app's content-security policy refuses inline scripts.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { root, shot } from './browser.js';

export interface Violation {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/**
 * `check(page, screen)` keeps a screenshot of the screen as it is (`<prefix>-<screen>.png`) and runs
 * axe on it; `found` collects what failed, by screen, for one assertion at the end.
 */
export function screenChecker(prefix: string): { check(page: Page, screen: string): Promise<void>; found: Record<string, Violation[]> } {
  const found: Record<string, Violation[]> = {};
  return {
    found,
    async check(page, screen) {
      await shot(page, `${prefix}-${screen}`);
      const violations = await seriousViolations(page);
      if (violations.length > 0) found[screen] = violations;
    },
  };
}

export async function seriousViolations(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(readFileSync(path.join(root, 'node_modules/axe-core/axe.min.js'), 'utf8'));
  return page.evaluate(async () => {
    type AxeResult = { violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> };
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<AxeResult> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact!, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
}
