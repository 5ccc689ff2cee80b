/** One 8-connected blob of foreground pixels, with the measures used to tell a digit from specks. */
export interface Component {
  /** Label in `ComponentLabels.labels` (1-based; 0 is background). */
  label: number;
  /** Pixel count. */
  area: number;
  /** Sum of the intensities of its pixels. */
  mass: number;
  /** Bounding box, inclusive. */
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  /** True when it reaches the image's edge (a paper edge or a shadow, more often than a digit). */
  touchesBorder: boolean;
}

/** A label per pixel (0 where the intensity is 0) and the components found. */
export interface ComponentLabels {
  labels: Int32Array;
  components: Component[];
}

/**
 * Labels the 8-connected components of the pixels with intensity > 0 (flood fill with an
 * explicit stack, O(pixels)), measuring each one's area, mass and bounding box.
 */
export function labelComponents(intensity: Float32Array, width: number, height: number): ComponentLabels {
  const labels = new Int32Array(width * height);
  const components: Component[] = [];
  const stack = new Int32Array(width * height);
  for (let start = 0; start < labels.length; start++) {
    if (labels[start] !== 0 || (intensity[start] ?? 0) <= 0) continue;
    const label = components.length + 1;
    const c: Component = {
      label,
      area: 0,
      mass: 0,
      minX: width,
      minY: height,
      maxX: -1,
      maxY: -1,
      touchesBorder: false,
    };
    let top = 0;
    stack[top++] = start;
    labels[start] = label;
    while (top > 0) {
      const p = stack[--top] ?? 0;
      const x = p % width;
      const y = (p - x) / width;
      c.area++;
      c.mass += intensity[p] ?? 0;
      if (x < c.minX) c.minX = x;
      if (x > c.maxX) c.maxX = x;
      if (y < c.minY) c.minY = y;
      if (y > c.maxY) c.maxY = y;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const q = ny * width + nx;
          if (labels[q] === 0 && (intensity[q] ?? 0) > 0) {
            labels[q] = label;
            stack[top++] = q;
          }
        }
      }
    }
    c.touchesBorder = c.minX === 0 || c.minY === 0 || c.maxX === width - 1 || c.maxY === height - 1;
    components.push(c);
  }
  return { labels, components };
}
