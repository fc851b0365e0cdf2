// Chromium's fake camera (--use-file-for-fake-video-capture) plays a 4:2:0 YUV file; these write
// that file. The browser opens it each time a page starts the camera, so each scan sees what was
// written last.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import QRCode from 'qrcode';

export const CAMERA_WIDTH = 640;
export const CAMERA_HEIGHT = 480;

/** A grey image: one byte of luma per pixel, row by row. */
export interface GreyImage {
  width: number;
  height: number;
  luma: Uint8Array;
}

/** `text` as a QR code, black on white, drawn as the app draws them (same library, same settings). */
export function qrImage(text: string): GreyImage {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const size = qr.modules.size;
  const scale = Math.floor((CAMERA_HEIGHT - 80) / (size + 8));
  const side = size * scale;
  const luma = new Uint8Array(side * side).fill(235);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) if (qr.modules.get(Math.floor(y / scale), Math.floor(x / scale))) luma[y * side + x] = 16;
  }
  return { width: side, height: side, luma };
}

/** Writes a few frames showing `image` in the middle of a white picture to `file`. */
export function showOnCamera(file: string, image: GreyImage): void {
  if (image.width > CAMERA_WIDTH || image.height > CAMERA_HEIGHT) throw new Error('the image is larger than the camera picture');
  const luma = new Uint8Array(CAMERA_WIDTH * CAMERA_HEIGHT).fill(235);
  const left = Math.floor((CAMERA_WIDTH - image.width) / 2);
  const top = Math.floor((CAMERA_HEIGHT - image.height) / 2);
  for (let y = 0; y < image.height; y++) luma.set(image.luma.subarray(y * image.width, (y + 1) * image.width), (top + y) * CAMERA_WIDTH + left);
  const chroma = new Uint8Array((CAMERA_WIDTH / 2) * (CAMERA_HEIGHT / 2) * 2).fill(128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), luma, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${CAMERA_WIDTH} H${CAMERA_HEIGHT} F10:1 Ip A1:1 C420jpeg\n`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, Buffer.concat([header, ...Array.from({ length: 10 }, () => frame)]));
}
