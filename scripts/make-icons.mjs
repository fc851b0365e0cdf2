// Draws the app icons (public/icons/*.png) with no image library: a key on a teal tile, rasterised
// with 4×4 supersampling and written as PNG with node:zlib. Run: node scripts/make-icons.mjs
// "any" icons are a rounded tile on transparency; "maskable" ones fill the square and keep the key
// inside the central 80 % safe zone, as Android crops them to a circle or squircle.
import { Buffer } from 'node:buffer';
import { writeFileSync, mkdirSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';
import { deflateSync } from 'node:zlib';

const TEAL = [0x1f, 0x4e, 0x5f];
const CREAM = [0xf4, 0xf1, 0xea];

/** Key shape in unit coordinates (0..1): a ring (the bow), a shaft and two teeth. */
function inKey(x, y) {
  const cx = 0.34,
    cy = 0.5,
    r = 0.17,
    hole = 0.075;
  const d = Math.hypot(x - cx, y - cy);
  if (d <= r && d >= hole) return true;
  if (x >= cx + r - 0.02 && x <= 0.8 && Math.abs(y - cy) <= 0.045) return true; // shaft
  if (x >= 0.66 && x <= 0.71 && y >= cy && y <= cy + 0.14) return true; // tooth
  if (x >= 0.74 && x <= 0.8 && y >= cy && y <= cy + 0.11) return true; // tooth
  return false;
}

function inRoundedTile(x, y, radius) {
  const qx = Math.max(Math.abs(x - 0.5) - (0.5 - radius), 0);
  const qy = Math.max(Math.abs(y - 0.5) - (0.5 - radius), 0);
  return Math.hypot(qx, qy) <= radius;
}

function draw(size, maskable) {
  const rgba = Buffer.alloc(size * size * 4);
  const S = 4;
  // The key is scaled into the safe zone on maskable icons.
  const keyScale = maskable ? 0.8 : 0.9;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let tile = 0,
        key = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const x = (px + (sx + 0.5) / S) / size,
            y = (py + (sy + 0.5) / S) / size;
          const inTile = maskable || inRoundedTile(x, y, 0.2);
          if (!inTile) continue;
          tile++;
          const kx = (x - 0.5) / keyScale + 0.5,
            ky = (y - 0.5) / keyScale + 0.5;
          if (inKey(kx, ky)) key++;
        }
      }
      const n = S * S,
        a = tile / n,
        k = tile === 0 ? 0 : key / tile;
      const i = (py * size + px) * 4;
      for (let c = 0; c < 3; c++) rgba[i + c] = Math.round(TEAL[c] * (1 - k) + CREAM[c] * k);
      rgba[i + 3] = Math.round(a * 255);
    }
  }
  return png(size, rgba);
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function png(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4); // filter 0 per row
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const out = new URL('../public/icons/', import.meta.url);
mkdirSync(out, { recursive: true });
for (const size of [192, 512]) {
  writeFileSync(new URL(`icon-${size}.png`, out), draw(size, false));
  writeFileSync(new URL(`maskable-${size}.png`, out), draw(size, true));
}
writeFileSync(new URL('apple-touch-icon.png', out), draw(180, true));
process.stdout.write('icons written to public/icons/\n');
