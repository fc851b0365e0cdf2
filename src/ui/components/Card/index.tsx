// A card of a screen, named for screen readers by its heading.
import type { ComponentChildren } from 'preact';

export function Card({ id, title, children }: { id: string; title: ComponentChildren; children: ComponentChildren }) {
  return (
    <section class="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}
