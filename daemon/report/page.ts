// The page shell shared by the report and the hunt view: one self-contained document, no script, one inline style
// sheet pinned by its SHA-256 in a Content-Security-Policy that forbids every load (remote or local) and every script.
// Apps off screen are not laid out (content-visibility: auto) and closed updates not at all: a 100 apps × 20 versions
// history opens in well under a second (docs/benchmarks.md); on paper everything is laid out and open.
import { createHash } from 'node:crypto';
import { type Html, html, trusted } from './html.ts';

const CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#5b6570;--line:#d6dbe1;--card:#f6f8fa;--critical:#b3001b;--high:#d1420a;--medium:#a86b00;--low:#2563a6;--info:#6b7280;--ok:#1f7a3d;--bar:#c2185b}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--fg:#e6e9ed;--muted:#9aa4ae;--line:#323a43;--card:#1a1f25;--critical:#ff5d6c;--high:#ff8a4c;--medium:#f2c14e;--low:#6cb4ff;--info:#9aa4ae;--ok:#5ad07e;--bar:#ff6fa8}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1200px;padding:1.5rem;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.3rem;margin:2rem 0 .5rem;border-bottom:1px solid var(--line);padding-bottom:.25rem}h3{font-size:1.05rem;margin:1rem 0 .4rem}h4{font-size:.95rem;margin:.8rem 0 .3rem}
.meta,.muted{color:var(--muted)}code,pre,.mono{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.85em;overflow-wrap:anywhere}
pre{background:var(--card);border:1px solid var(--line);padding:.5rem;white-space:pre-wrap;margin:.3rem 0}
a{color:var(--low)}nav ul{columns:3;margin:.3rem 0}
table{border-collapse:collapse;width:100%;margin:.3rem 0}th,td{border-bottom:1px solid var(--line);padding:.2rem .4rem;text-align:left;vertical-align:top}th{font-weight:600;color:var(--muted)}
ol.findings{list-style:none;padding:0;margin:.3rem 0}
li.finding{border:1px solid var(--line);border-left:6px solid var(--info);background:var(--card);margin:.35rem 0;padding:.4rem .6rem;break-inside:avoid}
li.sev-critical{border-left-color:var(--critical)}li.sev-high{border-left-color:var(--high)}li.sev-medium{border-left-color:var(--medium)}li.sev-low{border-left-color:var(--low)}
.sev{font-weight:700;text-transform:uppercase;font-size:.75rem;letter-spacing:.04em;margin-right:.4rem}
.t-critical{color:var(--critical)}.t-high{color:var(--high)}.t-medium{color:var(--medium)}.t-low{color:var(--low)}.t-info{color:var(--info)}
.rule{font-weight:600}.message{margin:.2rem 0}.state{float:right;color:var(--muted)}
section.app{content-visibility:auto;contain-intrinsic-size:auto 900px}details{margin:.3rem 0}summary{cursor:pointer}details.update{border:1px solid var(--line);border-radius:4px;padding:.3rem .6rem}
.counts span{margin-right:.5rem}.arrow{color:var(--muted);padding:0 .25rem}td.m{font-weight:700}td.path{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.85em;overflow-wrap:anywhere}pre.changes{font-size:.8em}
.present{color:var(--critical);font-weight:700}.gone{color:var(--ok);font-weight:700}
svg{display:block;width:100%;height:auto;margin:.3rem 0}svg text{fill:var(--fg);font:11px system-ui,sans-serif}svg .axis{stroke:var(--line);stroke-width:1}
svg .v{fill:var(--ok)}svg .v-critical{fill:var(--critical)}svg .v-high{fill:var(--high)}svg .v-medium{fill:var(--medium)}svg .v-low{fill:var(--low)}
svg .s-critical{fill:var(--critical)}svg .s-high{fill:var(--high)}svg .s-medium{fill:var(--medium)}svg .s-low{fill:var(--low)}
svg .seen{fill:var(--bar);opacity:.8}svg .tick{stroke:var(--muted);stroke-width:1}
@media print{body{max-width:none;padding:0;font-size:10pt;background:#fff;color:#000}:root{--bg:#fff;--fg:#000;--muted:#444;--card:#fff;--line:#999}
section.app,details::details-content{content-visibility:visible;display:block}summary{list-style:none}nav{display:none}a{color:#000;text-decoration:none}
li.finding,tr,svg{break-inside:avoid}h2{break-after:avoid}}
`;

/** The policy: nothing may load or run; only the style sheet above applies. */
export const CONTENT_SECURITY_POLICY = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(CSS).digest('base64')}'; img-src 'none'; script-src 'none'; base-uri 'none'; form-action 'none'`;

export function page(title: string, body: Html): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${trusted(CSS)}</style></head>
<body>${body}</body></html>
`.text;
}
