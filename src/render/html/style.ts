// The page's CSS: light and dark from the same variables, and a print layout (no scrolling boxes,
// tables open, no tooltip).

const PALETTE_LIGHT = ['#1f77b4', '#d9480f', '#2b8a3e', '#c2255c', '#6741d9', '#0b7285', '#a6761d', '#5c940d', '#e64980', '#1864ab', '#862e9c', '#495057'];
const PALETTE_DARK = ['#74c0fc', '#ffa94d', '#8ce99a', '#f783ac', '#b197fc', '#66d9e8', '#ffd43b', '#c0eb75', '#faa2c1', '#a5d8ff', '#e599f7', '#ced4da'];

const palette = (colours: string[]) => colours.map((c, k) => `--c${k}:${c};`).join('');

/** The report's stylesheet. */
export const REPORT_CSS = `
:root{color-scheme:light dark;--bg:#ffffff;--fg:#1a1a1a;--muted:#5f6368;--line:#d0d4d9;--unique:#adb5bd;--bar:#4263eb;--part:#f08c00;--exists:#868e96;
--h0:#f1f3f5;--h1:#d0ebff;--h2:#74c0fc;--h3:#339af0;--h4:#1c7ed6;--h5:#0b4f8a;--diag:#e9ecef;--tipbg:#212529;--tipfg:#f8f9fa;--focus:#e8590c;${palette(PALETTE_LIGHT)}}
@media (prefers-color-scheme: dark){:root{--bg:#16181d;--fg:#e9ecef;--muted:#adb5bd;--line:#3a3f47;--unique:#5c636a;--bar:#748ffc;--part:#ffa94d;--exists:#6c757d;
--h0:#22262c;--h1:#1b3a57;--h2:#1c5a8c;--h3:#2f7fc1;--h4:#5aa9e6;--h5:#a5d8ff;--diag:#2b3036;--tipbg:#f8f9fa;--tipfg:#212529;--focus:#ffa94d;${palette(PALETTE_DARK)}}}
*{box-sizing:border-box}
body{margin:0;padding:1rem 1.25rem 3rem;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1200px}
h1{font-size:1.5rem;margin:.2rem 0 .4rem}h2{font-size:1.15rem;margin:1.6rem 0 .4rem;border-bottom:1px solid var(--line);padding-bottom:.2rem}
p.lead{color:var(--muted);margin:.2rem 0 .8rem}
nav ul{display:flex;flex-wrap:wrap;gap:.3rem 1rem;padding:0;margin:.4rem 0;list-style:none}
a{color:var(--bar)}
figure{margin:0}figcaption{color:var(--muted);max-width:70ch;margin:.4rem 0}
.scroll{overflow-x:auto;max-width:100%}
svg.chart{display:block;max-width:none;font-size:11px;fill:var(--fg)}
svg.chart text{fill:var(--fg)}svg.chart .tick{fill:var(--muted);font-size:10px}svg.chart .small{font-size:10px}
.grid{stroke:var(--line);stroke-width:1}.connector{stroke:var(--muted);stroke-dasharray:2 2}
.bar{fill:var(--bar)}.bar-part{fill:var(--part)}.exists{fill:var(--exists);opacity:.6}
.layer{stroke:var(--bg);stroke-width:1;cursor:pointer}.layer.u{fill:var(--unique)}
.layer:focus{outline:none;stroke:var(--focus);stroke-width:3}.layer.hl{stroke:var(--fg);stroke-width:2}
${Array.from({ length: 12 }, (_, k) => `.c${k}{fill:var(--c${k});background:var(--c${k})}`).join('')}
.cell.h0{fill:var(--h0)}.cell.h1{fill:var(--h1)}.cell.h2{fill:var(--h2)}.cell.h3{fill:var(--h3)}.cell.h4{fill:var(--h4)}.cell.h5{fill:var(--h5)}.cell.diag{fill:var(--diag);stroke:var(--line)}
.line{fill:none;stroke-width:2}.line.s0{stroke:var(--c0)}.line.s1{stroke:var(--c1)}.line.s2{stroke:var(--c2)}.line.s3{stroke:var(--c3)}.line.s4{stroke:var(--c4)}.line.s5{stroke:var(--c5)}
.legend{color:var(--muted);font-size:.9rem}.key{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 .8em;vertical-align:-.1em;border-radius:2px}
.key.bar{background:var(--bar)}.key.bar-part{background:var(--part)}.key.exists{background:var(--exists)}.key.line{height:3px;vertical-align:.2em}
.key.line.s0{background:var(--c0)}.key.line.s1{background:var(--c1)}.key.line.s2{background:var(--c2)}.key.line.s3{background:var(--c3)}.key.line.s4{background:var(--c4)}.key.line.s5{background:var(--c5)}
ul.tree,ul.tree ul{list-style:none;margin:0;padding-left:1.1rem;border-left:1px solid var(--line)}ul.tree{padding-left:.4rem;border:0;font:12.5px/1.6 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-x:auto}
ul.tree li{white-space:nowrap}.tree .img{font-weight:600}.tree .hidden-parent{font-weight:400;color:var(--muted)}.tree .ctr{font-weight:400;color:var(--muted)}.tree .more{color:var(--muted);font-style:italic}
.sw{display:inline-block;width:.8em;height:.8em;margin-right:.4em;border-radius:2px;vertical-align:-.05em}.sw.u{background:var(--unique)}.sw.shared{background:var(--muted)}
details.fallback{margin:.4rem 0 1rem}details.fallback summary{cursor:pointer;color:var(--bar)}
details.fallback>table,details.fallback>p{margin-top:.5rem}
.fallback table{max-height:none}
table{border-collapse:collapse;font-size:.85rem;display:block;overflow-x:auto;max-width:100%}
th,td{border-bottom:1px solid var(--line);padding:.2rem .6rem;text-align:left;white-space:nowrap}th[scope=row]{font-weight:400}.num{text-align:right;font-variant-numeric:tabular-nums}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
#tip{position:fixed;z-index:10;max-width:min(36rem,calc(100vw - 1rem));background:var(--tipbg);color:var(--tipfg);padding:.5rem .7rem;border-radius:6px;font-size:12px;line-height:1.4;pointer-events:none;box-shadow:0 2px 10px rgba(0,0,0,.3)}
#tip dl{display:grid;grid-template-columns:auto 1fr;gap:.1rem .6rem;margin:0}#tip dt{font-weight:600}#tip dd{margin:0;overflow-wrap:anywhere;font-family:ui-monospace,Menlo,Consolas,monospace}
@media (max-width:600px){body{padding:.6rem .6rem 2rem;font-size:14px}h1{font-size:1.2rem}}
@media print{body{max-width:none;padding:0;font-size:10pt;color:#000;background:#fff}.scroll{overflow:visible}svg.chart{max-width:100%;height:auto}#tip{display:none!important}
details.fallback>*{display:block}details.fallback::details-content{content-visibility:visible;display:contents}summary{list-style:none}section.figure{break-inside:avoid-page}table{display:table}nav{display:none}}
`;
