// Trusting someone by scanning their NodeId QR code instead of pasting 53 characters. Chromium's
// fake camera plays a video file (artifacts/qr-camera.y4m) in which the test draws a QR code: first
// a link, which the field refuses with the reason while it keeps looking, then Bob's NodeId as his
// screen shows it, which fills the field. The QR codes are made by the same library the app draws
// them with. Screenshots go to artifacts/screens/qr-*.png. Run inside a loopback-only network
// namespace: unshare -n bash -c 'ip link set lo up && npx vitest run tests/e2e/ui-qr-scan.test.ts'
import * as path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppServer } from '../../scripts/serve-app.js';
import { seriousViolations } from './helpers/axe.js';
import { buildAndServe, hasChromium, launch, newProfile, openApp, root, shot } from './helpers/browser.js';
import { CAMERA_WIDTH, qrImage, showOnCamera } from './helpers/camera.js';
import { finishFirstRun, go, ownNodeId, see } from './helpers/ui.js';

const camera = path.join(root, 'artifacts', 'qr-camera.y4m');
const WIDTH = CAMERA_WIDTH;
const showQr = (text: string): void => showOnCamera(camera, qrImage(text));

describe.skipIf(!hasChromium)('keynode UI: a NodeId read from a QR code with the camera', () => {
  let server: AppServer;
  let browser: Browser;
  let alice: BrowserContext;
  let bob: BrowserContext;
  let a: Page;
  let bobId = '';

  beforeAll(async () => {
    // The fake camera opens the file each time a page starts it, so each scan sees what was written last.
    showQr('https://example.org/not-a-node-id');
    server = await buildAndServe('ui-qr-scan');
    browser = await launch(['--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${camera}`]);
    alice = await newProfile(browser, server.url);
    bob = await newProfile(browser, server.url);
    await alice.grantPermissions(['camera'], { origin: server.url });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('a QR code that is not a NodeId is refused with the reason, and scanning goes on until stopped', async () => {
    const b = await openApp(bob, server.url);
    await finishFirstRun(b);
    bobId = await ownNodeId(b);
    a = await openApp(alice, server.url);
    await finishFirstRun(a);
    await go(a, 'Contacts');
    const trustForm = a.locator('form', { has: a.getByLabel('Their NodeId') });
    await trustForm.getByRole('button', { name: 'Scan a QR code' }).click();
    await see(a, 'This QR code is a link, not a NodeId.');
    expect(await a.getByLabel('Their NodeId').inputValue()).toBe('');
    // The camera is live: the video has frames, and nothing was typed into the field.
    expect(await a.locator('.qr-scan video').evaluate((v: HTMLVideoElement) => v.videoWidth)).toBe(WIDTH);
    await shot(a, 'qr-01-not-a-node-id');
    expect(await seriousViolations(a)).toEqual([]);
    await a.getByRole('button', { name: 'Stop scanning' }).click();
    await a.locator('.qr-scan').waitFor({ state: 'detached' });
  });

  it('Bob’s NodeId QR code fills the field, the camera stops, and Alice trusts him', async () => {
    showQr(bobId);
    // Keep the streams the page opens, to see afterwards that the camera was let go.
    await a.evaluate(() => {
      const opened: MediaStream[] = ((window as unknown as { opened: MediaStream[] }).opened = []);
      const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      navigator.mediaDevices.getUserMedia = async (c) => {
        const stream = await getUserMedia(c);
        opened.push(stream);
        return stream;
      };
    });
    const trustForm = a.locator('form', { has: a.getByLabel('Their NodeId') });
    await trustForm.getByRole('button', { name: 'Scan a QR code' }).click();
    await see(a, 'Valid NodeId.');
    expect(await a.getByLabel('Their NodeId').inputValue()).toBe(bobId);
    await a.locator('.qr-scan').waitFor({ state: 'detached' });
    // The camera was opened once and every one of its tracks has been stopped since the code was taken.
    const tracks = await a.evaluate(() => (window as unknown as { opened: MediaStream[] }).opened.flatMap((s) => s.getTracks().map((t) => t.readyState)));
    expect(tracks).toEqual(['ended']);
    await a.getByLabel(/^Name \(optional/).fill('Bob');
    await shot(a, 'qr-02-filled');
    await a.getByRole('button', { name: 'Trust', exact: true }).click();
    await a.getByRole('heading', { name: 'Bob', level: 3 }).waitFor();
    expect(
      await a.evaluate(
        (id) => (window as unknown as { keynode: { gestalts: { permissions(n: string): Promise<{ gestalt: string[] }> } } }).keynode.gestalts.permissions(id),
        bobId,
      ),
    ).toMatchObject({ gestalt: ['notify'] });
  });
});
