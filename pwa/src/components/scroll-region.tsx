import type { ComponentChildren, JSX } from 'preact';

/**
 * A table that may be wider than a phone: it scrolls sideways (shadows at the edges show there is more)
 * and takes keyboard focus, so that it can be scrolled without a pointer.
 */
export function ScrollRegion({
  labelledBy,
  children,
}: {
  labelledBy: string;
  children: ComponentChildren;
}): JSX.Element {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable for keyboard users (WCAG 2.1.1).
    <figure class="table-scroll" aria-labelledby={labelledBy} tabIndex={0}>
      {children}
    </figure>
  );
}
