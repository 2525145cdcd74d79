// Browser globals the page loads with <script> tags (templates/index.html, static/vendor),
// declared for `tsc --checkJs` only; the page itself has no build step.
import type * as d3Module from "d3";

declare global {
  const d3: typeof d3Module;
  const katex: {
    render(tex: string, element: HTMLElement, options?: Record<string, unknown>): void;
    renderToString(tex: string, options?: Record<string, unknown>): string;
  };
  interface Window {
    /** The page's store and actions, for the browser tests and the curious (main.js). */
    backprop?: unknown;
    katex: typeof katex;
    SwaggerUIBundle?: (options: Record<string, unknown>) => unknown;
  }
}
