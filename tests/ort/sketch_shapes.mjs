// Outline sketches drawn by code (thin black lines, as `pix2pix edges` draws them) and what a sketch model
// paints inside them: scripts/eval-sketch-colours.mjs and tests/ort/sketch_colours.test.mjs.
import { check, ort } from '../browser/harness.mjs';

export const S = 256;

// ---- drawing: shapes are closed polygons (their inside is what gets coloured) plus open strokes

const around = (n, f) => Array.from({ length: n }, (_, i) => f((2 * Math.PI * i) / n));
const circle = (cx, cy, r, n = 96) => around(n, (t) => [cx + r * Math.cos(t), cy + r * Math.sin(t)]);

export const SHAPES = {
  heart: { colour: 'red', outline: around(120, (t) => [128 + 6.6 * 16 * Math.sin(t) ** 3,
    122 - 6.6 * (13 * Math.cos(t) - 5 * Math.cos(2 * t) - 2 * Math.cos(3 * t) - Math.cos(4 * t))]) },
  apple: { colour: 'red', outline: around(120, (t) => {
    const fromTop = ((t - 1.5 * Math.PI + 3 * Math.PI) % (2 * Math.PI)) - Math.PI;  // a dent where the stem is
    const r = 100 * (1 - 0.25 * Math.exp(-5 * fromTop * fromTop));
    return [128 + 1.05 * r * Math.cos(t), 140 + r * Math.sin(t)];
  }), strokes: [[[128, 66], [138, 24]]] },
  star: { colour: 'yellow', outline: around(10, (t) => {
    const r = Math.round(t / (Math.PI / 5)) % 2 ? 50 : 120;
    return [128 + r * Math.sin(t), 136 - r * Math.cos(t)];
  }) },
  sun: { colour: 'yellow', outline: circle(128, 128, 62),
    strokes: around(12, (t) => [[128 + 78 * Math.cos(t), 128 + 78 * Math.sin(t)], [128 + 118 * Math.cos(t), 128 + 118 * Math.sin(t)]]) },
  smiley: { colour: 'yellow', outline: circle(128, 128, 118),
    strokes: [circle(90, 100, 12, 32).concat([[102, 100]]), circle(166, 100, 12, 32).concat([[178, 100]]),
      Array.from({ length: 24 }, (_, i) => { const t = 0.2 * Math.PI + (0.6 * Math.PI * i) / 23; return [128 + 70 * Math.cos(t), 120 + 70 * Math.sin(t)]; })] },
};

// The shape drawn s times as large about the paper's centre (the lines keep their width).
export function scaled(shape, s) {
  const at = ([x, y]) => [S / 2 + s * (x - S / 2), S / 2 + s * (y - S / 2)];
  return { ...shape, outline: shape.outline.map(at), strokes: shape.strokes?.map((l) => l.map(at)) };
}

function distanceToSegment(px, py, [ax, ay], [bx, by]) {
  const dx = bx - ax, dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}
function inside(px, py, poly) {
  let odd = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i], [xj, yj] = poly[j];
    if ((yi > py) !== (yj > py) && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) odd = !odd;
  }
  return odd;
}

// Grey pixels (white paper, black lines `width` px wide, antialiased) and the mask of the shape's inside
// kept 6 px away from every line, less what closed strokes enclose (the smiley's eyes: their dark pupils
// are not the face's colour, and at 24 px they showed as a 16-pixel "grid" in colourOf).
export function draw(shape, width = 1.5) {
  const lines = [[...shape.outline, shape.outline[0]], ...(shape.strokes ?? [])];
  const closed = (shape.strokes ?? []).filter((l) => Math.hypot(l[0][0] - l.at(-1)[0], l[0][1] - l.at(-1)[1]) < 1e-6);
  const grey = new Uint8Array(S * S), interior = new Uint8Array(S * S);
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      let d = Infinity;
      for (const line of lines)
        for (let i = 1; i < line.length; i++) d = Math.min(d, distanceToSegment(x + 0.5, y + 0.5, line[i - 1], line[i]));
      grey[y * S + x] = Math.round(255 * Math.max(0, Math.min(1, d - width / 2)));
      interior[y * S + x] = d > 6 && inside(x + 0.5, y + 0.5, shape.outline) &&
        !closed.some((l) => inside(x + 0.5, y + 0.5, l)) ? 1 : 0;
    }
  return { grey, interior };
}

export async function paint(session, grey) {
  const x = new Float32Array(3 * S * S);
  for (let c = 0; c < 3; c++) for (let i = 0; i < S * S; i++) x[c * S * S + i] = grey[i] / 127.5 - 1;
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [1, 3, S, S]) });
  const y = out[session.outputNames[0]].data, rgb = new Uint8Array(3 * S * S);
  for (let i = 0; i < S * S; i++)
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = Math.round(255 * Math.max(0, Math.min(1, (y[c * S * S + i] + 1) / 2)));
  return rgb;
}

// The hue (degrees) holding most saturation among the inside pixels, their mean saturation, and the
// strongest grid-aligned pattern of their brightness: the transposed convolutions' checkerboard repeats
// every 2, 4, 8 or 16 pixels, so the mean brightness of the columns (rows) x mod p differs (levels of 255).
export function colourOf(rgb, interior) {
  const bins = new Float64Array(36);
  let saturation = 0, n = 0;
  const periods = [2, 4, 8, 16], sums = periods.map((p) => [new Float64Array(p), new Float64Array(p), new Float64Array(p), new Float64Array(p)]);
  for (let i = 0; i < S * S; i++) {
    if (!interior[i]) continue;
    const [r, g, b] = [rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2]].map((v) => v / 255);
    const max = Math.max(r, g, b), min = Math.min(r, g, b), s = max ? (max - min) / max : 0;
    let h = 0;
    if (max > min) {
      if (max === r) h = 60 * (((g - b) / (max - min) + 6) % 6);
      else if (max === g) h = 60 * ((b - r) / (max - min) + 2);
      else h = 60 * ((r - g) / (max - min) + 4);
    }
    bins[Math.floor(h / 10) % 36] += s;
    saturation += s;
    n++;
    const x = i % S, y = Math.floor(i / S), lum = 255 * (0.299 * r + 0.587 * g + 0.114 * b);
    periods.forEach((p, k) => {
      const [xs, xn, ys, yn] = sums[k];
      xs[x % p] += lum, xn[x % p]++, ys[y % p] += lum, yn[y % p]++;
    });
  }
  let pattern = 0;
  for (const [xs, xn, ys, yn] of sums)
    for (const [total, count] of [[xs, xn], [ys, yn]]) {
      const means = Array.from(total, (v, i) => v / count[i]);
      pattern = Math.max(pattern, Math.max(...means) - Math.min(...means));
    }
  const peak = bins.indexOf(Math.max(...bins));
  return { hue: peak * 10 + 5, saturation: saturation / n, pattern, pixels: n };
}

export const isColour = {
  red: (h) => h >= 335 || h <= 15,
  yellow: (h) => h >= 30 && h <= 60,
};

// Prints what colourOf measured for a painted shape and throws on the first criterion it misses: enough
// pixels inside, saturated (>= 0.4), no grid pattern over 4 levels, and, when `colour` is given, that hue.
export function judgePainted(name, c, colour) {
  console.log(`  ${name}: hue ${c.hue} deg, saturation ${c.saturation.toFixed(2)}, grid pattern ${c.pattern.toFixed(1)} (${c.pixels} px inside)`);
  check(c.pixels > 2000, `${name}: only ${c.pixels} pixels inside`);
  if (colour) check(isColour[colour](c.hue), `${name}: dominant hue ${c.hue} deg is not ${colour}`);
  check(c.saturation >= 0.4, `${name}: mean saturation ${c.saturation.toFixed(2)} under 0.4`);
  check(c.pattern <= 4, `${name}: a grid pattern of ${c.pattern.toFixed(1)} levels (checkerboard)`);
}

