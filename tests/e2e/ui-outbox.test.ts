// A share that cannot be handed over is never a silent failure: Bob is away and his mailbox on the
// signaling server is full, so Alice's Notifications screen shows the share as "not delivered
// yet — will retry …" (and axe finds nothing serious there); when Bob comes back it is delivered
// and leaves the list. The mailbox is filled through window.keynode for speed (the server keeps
// 10 items from one sender); everything a person would look at is read from the screen. The
// fillers wait sealed to Bob and are opened by his service worker when he is back.
// Screenshots go to artifacts/screens/outbox-*.png. Run inside a loopback-only network namespace:
//   unshare -n bash -c 'ip link set lo up && npx vitest run tests/e2e/ui-outbox.test.ts'
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Keynode } from '../../src/keynode/keynode.js';
import type { AppServer } from '../../scripts/serve-app.js';
import { seriousViolations } from './helpers/axe.js';
import { buildAndServe, hasChromium, launch, newProfile, openApp, shot } from './helpers/browser.js';
import { createVault, finishFirstRun, go, ownNodeId, see, shareVault, tab, trust, unlock } from './helpers/ui.js';

type W = Window & { keynode: Keynode };

const LONG = 90_000;

describe.skipIf(!hasChromium)('keynode UI: the outbox says what is not delivered yet', () => {
  let server: AppServer;
  let browser: Browser;
  let alice: BrowserContext;
  let bob: BrowserContext;
  let a: Page;
  let bobId: string;

  beforeAll(async () => {
    server = await buildAndServe('ui-outbox');
    browser = await launch();
    alice = await newProfile(browser, server.url);
    bob = await newProfile(browser, server.url);
  }, 240_000);

  // A failed step leaves a picture of Alice's screen, to see what she would have seen.
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && a !== undefined && !a.isClosed()) await shot(a, 'outbox-failed-alice').catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it(
    'a share to an away recipient whose mailbox is full shows "not delivered yet", then arrives',
    async () => {
      a = await openApp(alice, server.url);
      let b = await openApp(bob, server.url);
      await finishFirstRun(a);
      await finishFirstRun(b);
      const aliceId = await ownNodeId(a);
      bobId = await ownNodeId(b);
      await trust(a, bobId, 'Bob');
      await trust(b, aliceId, 'Alice');
      // Bob closes keynode: nothing of his is online.
      for (const page of bob.pages()) await page.close();

      // Fill Bob's mailbox: message after message, until the server stores no more from Alice.
      // (Counting to its quota would race Bob's going offline: while his socket lives, he takes and
      // acknowledges items.)
      const sent = await a.evaluate(async (to) => {
        const k = (window as unknown as W).keynode;
        // An attempt that meets Bob's dying connection waits for its timeouts (tens of seconds); a
        // filler still untried after five minutes is a failure of the outbox itself: report which.
        const giveUpAt = Date.now() + 5 * 60_000;
        for (let i = 1; i <= 300; i++) {
          // Paced under the server's rate limit (50 messages a second; each delivery is a few).
          await new Promise((r) => setTimeout(r, 150));
          await k.notifications.send(to, `filler ${i}`);
          for (;;) {
            if (Date.now() > giveUpAt) return -i;
            const outbox = await k.notifications.outbox.read();
            if (outbox.length === 0) break;
            if (outbox.some((o) => o.state !== 'pending')) {
              await k.notifications.outbox.clear();
              if (outbox.some((o) => o.lastError?.code !== 'ErrorSignalingMailboxFull')) break;
              return i;
            }
            await new Promise((r) => setTimeout(r, 20));
          }
        }
        return 0;
      }, bobId);
      // One sender's share of a mailbox is 10 items (mailboxSenderItems, signaling-server/src/limits.ts).
      expect(sent).toBeGreaterThan(10);

      await go(a, 'Vaults');
      await createVault(a, 'team');
      await tab(a, 'Sharing');
      await shareVault(a, 'team', 'Bob', LONG);
      await go(a, 'Notifications');
      const item = a.getByTestId('outbox-item').filter({ hasText: 'Share of “team”' });
      await see(item, /not delivered yet — will retry (at|shortly)/, LONG);
      expect(await item.getAttribute('data-state')).toBe('not-delivered-yet');
      expect(await item.textContent()).toMatch(/mailbox on the signaling server takes no more/);
      await shot(a, 'outbox-01-not-delivered-yet');
      expect(await seriousViolations(a)).toEqual([]);

      // Bob is back: his keynode locked when his last tab closed, so he unlocks it; the share is
      // handed over directly, and Alice's list empties.
      b = await openApp(bob, server.url);
      await unlock(b);
      await a.getByTestId('outbox-item').first().waitFor({ state: 'detached', timeout: LONG });
      await go(b, 'Notifications');
      await see(b, /Alice shared the vault “team” with you/, LONG);
      await shot(b, 'outbox-02-delivered');

      // The fillers waited in Bob's mailbox sealed to him (the server held only ciphertext); his
      // service worker opened every one of them.
      const fillers = async (): Promise<string[]> =>
        b.evaluate(async () =>
          (await (window as unknown as W).keynode.notifications.read()).flatMap((n) => (n.data.type === 'General' ? [n.data.message] : [])),
        );
      const expected = Array.from({ length: sent - 1 }, (_, i) => `filler ${i + 1}`).sort();
      const giveUpAt = Date.now() + LONG;
      while ((await fillers()).length < expected.length && Date.now() < giveUpAt) await b.waitForTimeout(250);
      expect((await fillers()).sort()).toEqual(expected);
    },
    10 * LONG,
  );
});
