// Linking one person's two browsers with one scan, through the UI only, both keynodes in their
// service workers. The phone (the browser to be linked) shows a pairing code; the QR code as the
// phone's page draws it is handed to the laptop's fake camera; the laptop recognises the code, asks
// "Link … to your keynodes?", and one tap links them: the phone says "Linked with <laptop>" without
// anyone touching it. Then the phone undoes the link from that same screen, as a person would who
// saw a keynode they did not expect. Screenshots go to artifacts/screens/pairing-*.png.
// Run inside a loopback-only network namespace (npm test -- tests/e2e/ui-pairing.test.ts).
import * as path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppServer } from '../../scripts/serve-app.js';
import { seriousViolations } from './helpers/axe.js';
import { buildAndServe, hasChromium, launch, newProfile, openApp, root, screensDir, shot } from './helpers/browser.js';
import { CAMERA_HEIGHT, qrImage, showOnCamera, type GreyImage } from './helpers/camera.js';
import { confirm, finishFirstRun, go, ownNodeId, see } from './helpers/ui.js';

const camera = path.join(root, 'artifacts', 'pairing-camera.y4m');
const LONG = 90_000;
const short = (nodeId: string): string => `${nodeId.slice(0, 12)}…`;

/** The phone's pairing QR code exactly as its page draws it (the inline SVG), rendered to grey pixels. */
async function qrOnScreen(page: Page): Promise<GreyImage> {
  const { width, height, luma } = await page.evaluate(async (maxSide) => {
    const svg = document.querySelector('.pairing .qr svg')!;
    const modules = Number(svg.getAttribute('viewBox')!.split(' ')[2]);
    const side = modules * Math.floor(maxSide / modules);
    const img = new Image();
    img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(new XMLSerializer().serializeToString(svg));
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = side;
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, side, side);
    ctx.drawImage(img, 0, 0, side, side);
    const rgba = ctx.getImageData(0, 0, side, side).data;
    const grey: number[] = [];
    for (let i = 0; i < rgba.length; i += 4) grey.push(Math.round((rgba[i]! + rgba[i + 1]! + rgba[i + 2]!) / 3));
    return { width: side, height: side, luma: grey };
  }, CAMERA_HEIGHT - 40);
  return { width, height, luma: Uint8Array.from(luma) };
}

describe.skipIf(!hasChromium)('keynode UI: pairing a second browser with one scan', () => {
  let server: AppServer;
  let browser: Browser;
  let laptopProfile: BrowserContext;
  let phoneProfile: BrowserContext;
  let laptop: Page;
  let phone: Page;
  let laptopId = '';
  let phoneId = '';

  beforeAll(async () => {
    // Until the phone's code is on its screen, the camera sees an unrelated QR code.
    showOnCamera(camera, qrImage('https://example.org/not-a-pairing-code'));
    server = await buildAndServe('ui-pairing');
    browser = await launch(['--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${camera}`]);
    laptopProfile = await newProfile(browser, server.url, { runtime: 'service-worker' });
    phoneProfile = await newProfile(browser, server.url, { viewport: { width: 390, height: 844 }, runtime: 'service-worker' });
    await laptopProfile.grantPermissions(['camera'], { origin: server.url });
  }, 240_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    if (laptop !== undefined) await shot(laptop, 'pairing-failed-laptop').catch(() => undefined);
    if (phone !== undefined) await shot(phone, 'pairing-failed-phone').catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('the phone shows a pairing code; the laptop scans it, asks, and one tap links both', async () => {
    [laptop, phone] = await Promise.all([openApp(laptopProfile, server.url), openApp(phoneProfile, server.url)]);
    await Promise.all([finishFirstRun(laptop), finishFirstRun(phone)]);
    [laptopId, phoneId] = await Promise.all([ownNodeId(laptop), ownNodeId(phone)]);

    // The phone: Contacts → Show a pairing code.
    await phone.getByRole('button', { name: 'Show a pairing code' }).click();
    const shown = phone.getByRole('region', { name: 'Pair with my other keynode' });
    await shown.getByRole('img', { name: 'Pairing code QR' }).locator('svg').waitFor();
    const code = ((await phone.getByTestId('pairing-code').textContent()) ?? '').trim();
    expect(code.startsWith(`keynode-pair:1:${phoneId}.`)).toBe(true);
    await shot(phone, 'pairing-01-phone-code');
    await phone.locator('.pairing .qr').screenshot({ path: path.join(screensDir, 'pairing-01b-phone-qr.png') });
    expect(await seriousViolations(phone)).toEqual([]);
    await phone.emulateMedia({ colorScheme: 'dark' });
    await shot(phone, 'pairing-01c-phone-code-dark');
    await phone.emulateMedia({ colorScheme: 'light' });

    // The laptop: Contacts → Scan a pairing code → the camera. It first sees a link, which it refuses.
    await go(laptop, 'Contacts');
    await laptop.getByRole('button', { name: 'Scan a pairing code' }).click();
    await laptop.getByRole('button', { name: 'Scan with the camera' }).click();
    await see(laptop, 'This QR code is not a pairing code.');
    await laptop.getByRole('button', { name: 'Stop scanning' }).click();
    // Now the phone's code, as the phone draws it, is in front of the camera.
    showOnCamera(camera, await qrOnScreen(phone));
    await laptop.getByRole('button', { name: 'Scan with the camera' }).click();
    const offer = laptop.getByTestId('pairing-offer');
    await see(offer, `Link ${short(phoneId)} to your keynodes?`);
    expect(await laptop.getByLabel('Pairing code', { exact: true }).inputValue()).toBe(code);
    await laptop.locator('.qr-scan').waitFor({ state: 'detached' });
    await shot(laptop, 'pairing-02-laptop-offer');
    expect(await seriousViolations(laptop)).toEqual([]);
    await offer.getByRole('button', { name: 'Link', exact: true }).click();

    // Nobody touches the phone: it links by itself and names the laptop.
    await see(shown, `Linked with ${short(laptopId)}`, LONG);
    await shot(phone, 'pairing-03-phone-linked');
    await see(laptop.getByTestId('pairing-result'), `Linked with ${short(phoneId)}`, LONG);
    await shot(laptop, 'pairing-04-laptop-linked');
    // Both list the other as one of their browsers; the safety numbers they show agree.
    await see(phone.getByTestId('linked-browser'), short(laptopId));
    await see(laptop.getByTestId('linked-browser'), short(phoneId));
    const phoneSafety = await shown.locator('.safety').textContent();
    expect(await laptop.getByTestId('pairing-result').locator('.safety').textContent()).toBe(phoneSafety);
  });

  it('the phone undoes the link from the same screen', async () => {
    const shown = phone.getByRole('region', { name: 'Pair with my other keynode' });
    await confirm(phone, shown.getByRole('button', { name: `Unlink ${short(laptopId)}` }), 'Unlink');
    await see(shown, `Unlinked ${short(laptopId)}`);
    await phone.getByTestId('linked-browser').waitFor({ state: 'detached' });
    await shot(phone, 'pairing-05-phone-unlinked');
  });
});
