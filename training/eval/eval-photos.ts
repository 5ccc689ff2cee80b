/**
 * The evaluation set of `npm run eval:models`: seeded, photo-like JPEGs from sources the training never
 * sees. Digits are drawn with handwriting-style fonts from Debian's font packages (rendered by sharp's
 * librsvg through fontconfig) in several pen styles, on paper with uneven light, tilted, noisy, JPEG.
 * Non-digits: letters in the same fonts, doodles, blank and textured paper, clothing photos from
 * Fashion-MNIST's tail (never used for training, see training/outliers.py).
 */
import sharp from 'sharp';
import { seededRandom } from '../../test/support/seeded-random.ts';

/** Debian packages: fonts-bwht fonts-breip fonts-comic-neue fonts-dancingscript fonts-dkg-handwriting
 * fonts-ecolier-court fonts-humor-sans fonts-kaushanscript fonts-klee fonts-kristi fonts-femkeklaver. */
export const EVAL_FONTS = [
  'Because We Build',
  'Because We Connect',
  'Because We Create',
  'Because We Learn',
  'Because We Mentor',
  'Because We Organize',
  'Breip',
  'Comic Neue',
  'Dancing Script',
  'DkgHandwriting',
  'Ecolier_court',
  'Humor Sans',
  'Kaushan Script',
  'Klee One',
  'Kristi',
  'femkeklaver',
] as const;

/** How a digit is written and photographed. */
export const DIGIT_STYLES = [
  'pen',
  'thin-pen',
  'thick-pen',
  'outline',
  'pencil',
  'tilted',
  'shadow',
] as const;
export type DigitStyle = (typeof DIGIT_STYLES)[number];

export const OOD_KINDS = ['letters', 'doodles', 'blank-paper', 'textured-paper', 'clothing'] as const;
export type OodKind = (typeof OOD_KINDS)[number];

/** Letters that people write exactly like a digit (O/o as 0, I/l as 1) are left out. */
const LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz';

export interface EvalPhoto {
  /** `fonts/<style>`, `letters`, `doodles`, ... */
  source: string;
  style: string;
  /** The digit shown, or null for a non-digit. */
  digit: number | null;
  font?: string;
  jpeg: Buffer;
}

interface Scene {
  width: number;
  height: number;
  paper: number;
  /** Light falloff towards one corner (0–1) and which. */
  shadow: number;
  shadowAngle: number;
  noise: number;
  quality: number;
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function scene(random: () => number, style: string): Scene {
  const portrait = random() < 0.5;
  const long = 700 + Math.floor(random() * 500);
  const short = Math.round(long * 0.75);
  return {
    width: portrait ? short : long,
    height: portrait ? long : short,
    paper: 205 + random() * 45,
    shadow: style === 'shadow' ? 0.45 + random() * 0.2 : 0.1 + random() * 0.25,
    shadowAngle: random() * 360,
    noise: 2 + random() * 4,
    quality: 55 + Math.floor(random() * 35),
  };
}

/** The SVG of the paper with `content` drawn on it, lit unevenly. */
function paperSvg(s: Scene, content: string, defs = ''): string {
  const p = Math.round(s.paper);
  const paper = `rgb(${p},${p - 4},${p - 12})`;
  const rad = (s.shadowAngle * Math.PI) / 180;
  const x2 = 50 + 50 * Math.cos(rad);
  const y2 = 50 + 50 * Math.sin(rad);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${s.width}" height="${s.height}">
<defs>${defs}<linearGradient id="light" x1="${100 - x2}%" y1="${100 - y2}%" x2="${x2}%" y2="${y2}%">
<stop offset="0" stop-color="black" stop-opacity="0"/><stop offset="1" stop-color="black" stop-opacity="${s.shadow.toFixed(3)}"/>
</linearGradient></defs>
<rect width="100%" height="100%" fill="${paper}"/>${content}
<rect width="100%" height="100%" fill="url(#light)"/></svg>`;
}

/** Renders `svg`, adds seeded sensor noise and encodes as JPEG. */
async function photograph(svg: string, s: Scene, seed: number): Promise<Buffer> {
  const { data, info } = await sharp(Buffer.from(svg))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const random = seededRandom(seed ^ 0x5bd1e995);
  const table = new Float32Array(4096);
  for (let i = 0; i < table.length; i++) {
    const u = Math.max(random(), 1e-12);
    table[i] = s.noise * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  }
  let n = Math.floor(random() * 4096);
  for (let i = 0; i < data.length; i++) {
    const v = (data[i] as number) + (table[n++ & 4095] as number);
    data[i] = Math.max(0, Math.min(255, v));
    if ((i & 1023) === 0) n = Math.floor(random() * 4096);
  }
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .jpeg({ quality: s.quality })
    .toBuffer();
}

/** A glyph of `font` in `style`, placed off-centre and turned a little (more when tilted). */
function glyphSvg(text: string, font: string, style: string, s: Scene, random: () => number): string {
  const size = Math.min(s.width, s.height) * (0.3 + random() * 0.3);
  const cx = s.width * (0.3 + random() * 0.4);
  const cy = s.height * (0.35 + random() * 0.4) + size * 0.35;
  const angle = (style === 'tilted' ? 25 : 8) * (random() * 2 - 1);
  const skew = style === 'tilted' ? 20 * (random() * 2 - 1) : 0;
  const squash = style === 'tilted' ? 0.75 + random() * 0.25 : 1;
  const ink = style === 'pencil' ? 95 + random() * 60 : 15 + random() * 45;
  const colour = `rgb(${Math.round(ink)},${Math.round(ink)},${Math.round(ink + (style === 'pencil' ? 5 : 30))})`;
  const unit = size / 100;
  let paint = `fill="${colour}"`;
  let filter = '';
  if (style === 'thin-pen') filter = `filter="url(#thin)"`;
  if (style === 'thick-pen')
    paint += ` stroke="${colour}" stroke-width="${(4 + random() * 5) * unit}" stroke-linejoin="round"`;
  if (style === 'outline')
    paint = `fill="none" stroke="${colour}" stroke-width="${(0.8 + random() * 1.2) * unit}"`;
  if (style === 'pencil') filter = `filter="url(#soft)"`;
  const transform = `translate(${cx.toFixed(1)} ${cy.toFixed(1)}) rotate(${angle.toFixed(1)}) skewX(${skew.toFixed(1)}) scale(${squash.toFixed(3)} 1)`;
  return `<g transform="${transform}"><text x="0" y="0" text-anchor="middle" font-family="${escapeXml(font)}" font-size="${size.toFixed(1)}" ${paint} ${filter}>${escapeXml(text)}</text></g>`;
}

function filterDefs(s: Scene, random: () => number): string {
  const thin = Math.max(1, Math.min(s.width, s.height) * (0.004 + random() * 0.006));
  return `<filter id="thin"><feMorphology operator="erode" radius="${thin.toFixed(2)}"/></filter>
<filter id="soft"><feGaussianBlur stdDeviation="${(1 + random() * 1.5).toFixed(2)}"/></filter>`;
}

/** Doodles a person might photograph instead of a digit: spiral, star, smiley, zigzag, house, arrow, heart. */
function doodleSvg(s: Scene, random: () => number): string {
  const r = Math.min(s.width, s.height) * (0.15 + random() * 0.15);
  const cx = s.width * (0.35 + random() * 0.3);
  const cy = s.height * (0.35 + random() * 0.3);
  const w = (2 + random() * 6).toFixed(1);
  const stroke = `fill="none" stroke="rgb(30,30,60)" stroke-width="${w}" stroke-linecap="round" stroke-linejoin="round"`;
  const kind = Math.floor(random() * 7);
  const pts = (list: [number, number][]) =>
    list.map(([x, y]) => `${(cx + x * r).toFixed(1)},${(cy + y * r).toFixed(1)}`).join(' ');
  switch (kind) {
    case 0: {
      const spiral: [number, number][] = [];
      for (let t = 0; t < 18; t += 0.2) spiral.push([(t / 18) * Math.cos(t), (t / 18) * Math.sin(t)]);
      return `<polyline points="${pts(spiral)}" ${stroke}/>`;
    }
    case 1: {
      const star: [number, number][] = [];
      for (let k = 0; k <= 10; k++) {
        const a = (k * Math.PI) / 5 - Math.PI / 2;
        const rr = k % 2 ? 0.4 : 1;
        star.push([rr * Math.cos(a), rr * Math.sin(a)]);
      }
      return `<polyline points="${pts(star)}" ${stroke}/>`;
    }
    case 2:
      return `<circle cx="${cx}" cy="${cy}" r="${r}" ${stroke}/><circle cx="${cx - r * 0.35}" cy="${cy - r * 0.3}" r="${r * 0.08}" fill="rgb(30,30,60)"/><circle cx="${cx + r * 0.35}" cy="${cy - r * 0.3}" r="${r * 0.08}" fill="rgb(30,30,60)"/><path d="M ${cx - r * 0.5} ${cy + r * 0.2} Q ${cx} ${cy + r * 0.8} ${cx + r * 0.5} ${cy + r * 0.2}" ${stroke}/>`;
    case 3: {
      const zig: [number, number][] = [];
      for (let k = 0; k <= 8; k++) zig.push([-1 + k / 4, k % 2 ? -0.3 : 0.3]);
      return `<polyline points="${pts(zig)}" ${stroke}/>`;
    }
    case 4:
      return `<polyline points="${pts([
        [-0.7, 1],
        [-0.7, -0.1],
        [0, -0.8],
        [0.7, -0.1],
        [0.7, 1],
        [-0.7, 1],
        [0.7, -0.1],
        [-0.7, -0.1],
        [0.7, 1],
      ])}" ${stroke}/>`;
    case 5:
      return `<polyline points="${pts([
        [-1, 0.1],
        [0.5, 0.1],
        [0.5, 0.4],
        [1, 0],
        [0.5, -0.4],
        [0.5, -0.1],
        [-1, -0.1],
        [-1, 0.1],
      ])}" ${stroke}/>`;
    default:
      return `<path d="M ${cx} ${cy + r} C ${cx - 1.6 * r} ${cy - 0.2 * r}, ${cx - 0.6 * r} ${cy - 1.2 * r}, ${cx} ${cy - 0.4 * r} C ${cx + 0.6 * r} ${cy - 1.2 * r}, ${cx + 1.6 * r} ${cy - 0.2 * r}, ${cx} ${cy + r} Z" ${stroke}/>`;
  }
}

/** Paper texture: ruled or squared notebook paper, or mottled card. */
function textureSvg(s: Scene, random: () => number): string {
  const kind = Math.floor(random() * 3);
  const step = 25 + random() * 20;
  const lines: string[] = [];
  const colour = `rgb(${120 + Math.floor(random() * 60)},${150 + Math.floor(random() * 60)},220)`;
  for (let y = step; y < s.height; y += step)
    lines.push(`<line x1="0" y1="${y}" x2="${s.width}" y2="${y}" stroke="${colour}" stroke-width="1.5"/>`);
  if (kind === 1)
    for (let x = step; x < s.width; x += step)
      lines.push(`<line x1="${x}" y1="0" x2="${x}" y2="${s.height}" stroke="${colour}" stroke-width="1.5"/>`);
  if (kind === 2) {
    return `<filter id="mottle"><feTurbulence type="fractalNoise" baseFrequency="${(0.01 + random() * 0.03).toFixed(3)}" numOctaves="3" seed="${Math.floor(random() * 1000)}"/><feColorMatrix type="saturate" values="0"/><feComponentTransfer><feFuncA type="linear" slope="0.35"/></feComponentTransfer></filter><rect width="100%" height="100%" filter="url(#mottle)"/>`;
  }
  return lines.join('');
}

/** A clothing photo: a Fashion-MNIST item (light on dark, 28 × 28) enlarged onto a dark or light backdrop. */
async function clothingPhoto(item: Uint8Array, random: () => number, seed: number): Promise<Buffer> {
  const side = 300 + Math.floor(random() * 300);
  const light = random() < 0.5;
  const pixels = light ? Uint8Array.from(item, (v) => 235 - Math.round(v * 0.85)) : item;
  const enlarged = await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } })
    .resize(side, side, { kernel: 'mitchell' })
    .extend({ top: 60, bottom: 60, left: 100, right: 100, background: light ? '#ebebeb' : '#000000' })
    .toColourspace('srgb')
    .png()
    .toBuffer();
  const s: Scene = {
    width: side + 200,
    height: side + 120,
    paper: 0,
    shadow: 0.2,
    shadowAngle: random() * 360,
    noise: 3,
    quality: 75,
  };
  const svg = paperSvg(
    s,
    `<image href="data:image/png;base64,${enlarged.toString('base64')}" width="${side + 200}" height="${side + 120}"/>`,
  );
  return photograph(svg, s, seed);
}

/** Digits: every font × style × digit once (seeded); with `perCell` > 1, more variants. */
export async function renderDigitPhotos(
  seed: number,
  fonts: readonly string[] = EVAL_FONTS,
  perCell = 1,
): Promise<EvalPhoto[]> {
  const jobs: (() => Promise<EvalPhoto>)[] = [];
  fonts.forEach((font, f) => {
    DIGIT_STYLES.forEach((style, st) => {
      for (let digit = 0; digit < 10; digit++) {
        for (let k = 0; k < perCell; k++) {
          const itemSeed = seed + ((f * 31 + st) * 10 + digit) * 97 + k;
          jobs.push(async () => {
            const random = seededRandom(itemSeed);
            const s = scene(random, style);
            const svg = paperSvg(s, glyphSvg(String(digit), font, style, s, random), filterDefs(s, random));
            return { source: 'fonts', style, digit, font, jpeg: await photograph(svg, s, itemSeed) };
          });
        }
      }
    });
  });
  return runLimited(jobs);
}

/** Non-digits: `perKind` of each kind; clothing comes from `clothes` (Fashion-MNIST items, eval range). */
export async function renderOodPhotos(
  seed: number,
  perKind: number,
  clothes: Uint8Array[],
  kinds: readonly OodKind[] = OOD_KINDS,
): Promise<EvalPhoto[]> {
  const jobs: (() => Promise<EvalPhoto>)[] = [];
  for (let k = 0; k < perKind; k++) {
    for (const [o, kind] of OOD_KINDS.entries()) {
      // Seeds follow the full list, so a subset draws the same items as the full set.
      if (!kinds.includes(kind)) continue;
      const itemSeed = seed + 1_000_003 + k * 17 + o;
      jobs.push(async () => {
        const random = seededRandom(itemSeed);
        if (kind === 'clothing') {
          const item = clothes[k % clothes.length] as Uint8Array;
          return {
            source: kind,
            style: kind,
            digit: null,
            jpeg: await clothingPhoto(item, random, itemSeed),
          };
        }
        const s = scene(random, kind);
        let content = '';
        let defs = '';
        let font: string | undefined;
        if (kind === 'letters') {
          font = EVAL_FONTS[Math.floor(random() * EVAL_FONTS.length)] as string;
          const letter = LETTERS[Math.floor(random() * LETTERS.length)] as string;
          const style = (['pen', 'thin-pen', 'thick-pen', 'pencil'] as const)[
            Math.floor(random() * 4)
          ] as string;
          content = glyphSvg(letter, font, style, s, random);
          defs = filterDefs(s, random);
        } else if (kind === 'doodles') content = doodleSvg(s, random);
        else if (kind === 'textured-paper') content = textureSvg(s, random);
        return {
          source: kind,
          style: kind,
          digit: null,
          ...(font ? { font } : {}),
          jpeg: await photograph(paperSvg(s, content, defs), s, itemSeed),
        };
      });
    }
  }
  return runLimited(jobs);
}

/** Runs `jobs` a few at a time (sharp renders on its own threads; memory stays bounded). */
async function runLimited<T>(jobs: (() => Promise<T>)[], limit = 4): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await (jobs[i] as () => Promise<T>)();
      }
    }),
  );
  return out;
}
