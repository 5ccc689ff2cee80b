/**
 * Draws the app's icons and writes them to pwa/public/icons/ (committed; rerun after changing the
 * drawing):
 *
 *   npx tsx pwa/scripts/make-icons.ts
 *
 * `icon-192.png` and `icon-512.png` are "any" icons (rounded square, transparent corners);
 * `icon-maskable-512.png` fills the whole square and keeps the mark inside the central 80 % safe zone,
 * so a launcher may crop it to any shape; `apple-touch-icon.png` is what iOS puts on the home screen.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const OUT_DIR = fileURLToPath(new URL('../public/icons/', import.meta.url));
const BACKGROUND = '#1d4ed8';
const PAPER = '#f6f7fb';
const INK = '#16181d';

/** The mark: a sheet of paper with a handwritten 7 and a viewfinder's corners, on a 100 × 100 grid. */
function mark(): string {
  return `
    <rect x="26" y="22" width="48" height="56" rx="5" fill="${PAPER}"/>
    <path d="M38 37 H62 L47 68" fill="none" stroke="${INK}" stroke-width="6.5" stroke-linecap="round" stroke-linejoin="round"/>
    <path d="M44 52 H58" fill="none" stroke="${INK}" stroke-width="5" stroke-linecap="round"/>
    <g fill="none" stroke="${PAPER}" stroke-width="4" stroke-linecap="round">
      <path d="M14 26 V14 H26"/><path d="M74 14 H86 V26"/><path d="M86 74 V86 H74"/><path d="M26 86 H14 V74"/>
    </g>`;
}

function svg(maskable: boolean, rounded: boolean): string {
  // Maskable: full-bleed background, the mark shrunk so that its corners stay inside the 80 % safe circle.
  const scale = maskable ? 0.72 : 1;
  const offset = (100 - 100 * scale) / 2;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">
    <rect width="100" height="100" rx="${rounded ? 18 : 0}" fill="${BACKGROUND}"/>
    <g transform="translate(${offset} ${offset}) scale(${scale})">${mark()}</g>
  </svg>`;
}

async function write(name: string, size: number, maskable: boolean, rounded: boolean): Promise<void> {
  await sharp(Buffer.from(svg(maskable, rounded)), { density: (72 * size) / 100 })
    .resize(size, size)
    .png({ compressionLevel: 9, palette: true })
    .toFile(`${OUT_DIR}${name}`);
  console.log(`wrote pwa/public/icons/${name} (${size} × ${size})`);
}

await mkdir(OUT_DIR, { recursive: true });
await write('icon-192.png', 192, false, true);
await write('icon-512.png', 512, false, true);
await write('icon-maskable-512.png', 512, true, false);
await write('apple-touch-icon.png', 180, false, false);
