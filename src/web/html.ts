import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { render } from 'preact-render-to-string';
import { PAGE_CSS, PAGE_JS } from './assets.js';

/**
 * Pages are preact virtual DOM written with htm tagged templates and rendered to a string on
 * the server: every interpolated value is a text node or an attribute value, escaped by
 * preact-render-to-string, so mail text (subjects, authors, Message-IDs, logs) can never become
 * markup. The only raw HTML is our own constant CSS and script below.
 */
export { html };
export type Node = VNode | VNode[] | string | number | null | undefined | false | Node[];

export interface PageOptions {
  title: string;
  /** Content-Security-Policy for the <meta> tag: nothing loads from the network. */
  csp?: string;
}

export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'";

/** A whole HTML document around `body`. */
export function renderPage(body: Node, opts: PageOptions): string {
  const doc = html`<html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta http-equiv="Content-Security-Policy" content=${opts.csp ?? PAGE_CSP} />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="no-referrer" />
      <title>${opts.title}</title>
      <style dangerouslySetInnerHTML=${{ __html: PAGE_CSS }}></style>
    </head>
    <body>
      ${body}
      <script dangerouslySetInnerHTML=${{ __html: PAGE_JS }}></script>
    </body>
  </html>`;
  return `<!doctype html>\n${render(doc as VNode)}\n`;
}

/** A fragment rendered alone (tests, partial pages). */
export function renderFragment(node: Node): string {
  return render(html`${node}` as VNode);
}
