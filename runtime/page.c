/* page.c: the live page --metrics serves at / (Spark's Streaming tab in
 * small): per context, charts of input rate, scheduling delay, processing
 * time and total delay over the last minutes, a summary, and the
 * pipeline's DAG as streamc drew it at compile time. Plain HTML, inline SVG
 * and inline JS that polls /api/batches every second; no external asset. */
#include "rt_obs.h"

static const char page_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width\">\n<title>";

static const char page_style[] =
    " - streamc</title>\n<style>\n"
    "body { font-family: Helvetica, Arial, sans-serif; margin: 16px 24px; color: #222; background: #fff; }\n"
    "h1 { font-size: 22px; margin: 0 0 4px; } h1 small { color: #777; font-weight: normal; font-size: 14px; }\n"
    "h2 { font-size: 17px; margin: 18px 0 6px; }\n"
    ".sum { color: #444; margin: 2px 0 8px; }\n"
    ".charts { display: flex; flex-wrap: wrap; gap: 12px; }\n"
    ".chart { border: 1px solid #ddd; border-radius: 6px; padding: 6px 8px; background: #fcfcfc; }\n"
    ".chart h3 { font-size: 13px; margin: 0 0 2px; font-weight: bold; }\n"
    ".chart .now { color: #1f5fa8; font-weight: normal; }\n"
    "#dag { overflow-x: auto; border: 1px solid #ddd; border-radius: 6px; padding: 6px; }\n"
    "#status { color: #a33; }\n"
    "table.recent { border-collapse: collapse; margin-top: 8px; font-size: 12px; }\n"
    "table.recent th, table.recent td { border: 1px solid #ddd; padding: 2px 8px; text-align: right; }\n"
    "table.recent th { background: #f3f3f3; }\n"
    "</style>\n</head>\n<body>\n";

static const char page_script[] =
    "<script>\n"
    "'use strict';\n"
    "const KINDS = [\n"
    "  ['rate', 'Input rate', 'records/s'],\n"
    "  ['delay', 'Scheduling delay', 'ms'],\n"
    "  ['proc', 'Processing time', 'ms'],\n"
    "  ['total', 'Total delay', 'ms']];\n"
    "const W = 440, H = 150, L = 48, R = 8, T = 8, B = 22, SPAN = 5 * 60 * 1000, MIN_SPAN = 30 * 1000;\n"
    "const NS = 'http://www.w3.org/2000/svg';\n"
    "function el(tag, attrs, text) {\n"
    "  const e = document.createElementNS(NS, tag);\n"
    "  for (const k in attrs) e.setAttribute(k, attrs[k]);\n"
    "  if (text !== undefined) e.textContent = text;\n"
    "  return e;\n"
    "}\n"
    "function fmt(v) { return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2); }\n"
    "function chart(ci, kind) {\n"
    "  const id = 'chart-' + ci + '-' + kind[0];\n"
    "  let box = document.getElementById(id);\n"
    "  if (box) return box;\n"
    "  box = document.createElement('div');\n"
    "  box.className = 'chart';\n"
    "  box.id = id;\n"
    "  box.innerHTML = '<h3>' + kind[1] + ' <span class=\"now\"></span></h3>';\n"
    "  const svg = el('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, class: 'plot' });\n"
    "  box.appendChild(svg);\n"
    "  document.getElementById('charts-' + ci).appendChild(box);\n"
    "  return box;\n"
    "}\n"
    "function draw(box, kind, pts, t1) {\n"
    "  const svg = box.querySelector('svg');\n"
    "  while (svg.firstChild) svg.removeChild(svg.firstChild);\n"
    "  let max = 0;\n"
    "  for (const p of pts) if (p[1] > max) max = p[1];\n"
    "  if (max <= 0) max = 1;\n"
    "  const first = pts.length ? pts[0][0] : t1;\n"
    "  const span = Math.min(SPAN, Math.max(MIN_SPAN, t1 - first));\n"
    "  const t0 = t1 - span;\n"
    "  const x = t => L + (W - L - R) * (t - t0) / span;\n"
    "  const y = v => H - B - (H - B - T) * v / max;\n"
    "  svg.appendChild(el('rect', { x: L, y: T, width: W - L - R, height: H - B - T, fill: '#fff', stroke: '#ccc' }));\n"
    "  for (let i = 1; i < 4; i++)\n"
    "    svg.appendChild(el('line', { x1: L, x2: W - R, y1: y(max * i / 4), y2: y(max * i / 4), stroke: '#eee' }));\n"
    "  svg.appendChild(el('text', { x: L - 4, y: T + 9, 'text-anchor': 'end', 'font-size': 10 }, fmt(max)));\n"
    "  svg.appendChild(el('text', { x: L - 4, y: H - B, 'text-anchor': 'end', 'font-size': 10 }, '0'));\n"
    "  const ago = span >= 120000 ? Math.round(span / 60000) + ' min' : Math.round(span / 1000) + ' s';\n"
    "  svg.appendChild(el('text', { x: L, y: H - 6, 'font-size': 10 }, '-' + ago));\n"
    "  svg.appendChild(el('text', { x: W - R, y: H - 6, 'text-anchor': 'end', 'font-size': 10 }, 'now'));\n"
    "  svg.appendChild(el('text', { x: (W + L) / 2, y: H - 6, 'text-anchor': 'middle', 'font-size': 10, fill: '#777' }, kind[2]));\n"
    "  const shown = pts.filter(p => p[0] >= t0);\n"
    "  const line = el('polyline', { fill: 'none', stroke: '#1f77b4', 'stroke-width': 1.5, class: 'series',\n"
    "    'data-points': shown.length,\n"
    "    points: shown.map(p => x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1)).join(' ') });\n"
    "  svg.appendChild(line);\n"
    "  for (const p of shown.slice(-60))\n"
    "    svg.appendChild(el('circle', { cx: x(p[0]).toFixed(1), cy: y(p[1]).toFixed(1), r: 1.8, fill: '#1f77b4' }));\n"
    "  const last = shown.length ? shown[shown.length - 1][1] : 0;\n"
    "  box.querySelector('.now').textContent = shown.length ? '(last ' + fmt(last) + ' ' + kind[2] + ')' : '';\n"
    "}\n"
    "function render(j) {\n"
    "  j.contexts.forEach((c, ci) => {\n"
    "    let sec = document.getElementById('ctx-' + ci);\n"
    "    if (!sec) {\n"
    "      sec = document.createElement('section');\n"
    "      sec.id = 'ctx-' + ci;\n"
    "      sec.innerHTML = '<h2></h2><div class=\"sum\"></div><div class=\"charts\" id=\"charts-' + ci + '\"></div>' +\n"
    "        '<table class=\"recent\"><thead><tr><th>batch time</th><th>records</th><th>scheduling delay</th>' +\n"
    "        '<th>processing time</th><th>total delay</th></tr></thead><tbody></tbody></table>';\n"
    "      sec.querySelector('h2').textContent = 'Context ' + c.name + ' (batch ' + c.batch_ms + ' ms)';\n"
    "      document.getElementById('contexts').appendChild(sec);\n"
    "    }\n"
    "    const r = c.recent;\n"
    "    const t1 = r.length ? r[r.length - 1][0] : 0;\n"
    "    const series = {\n"
    "      rate: r.map(b => [b[0], b[1] * 1000 / c.batch_ms]),\n"
    "      delay: r.map(b => [b[0], b[3]]),\n"
    "      proc: r.map(b => [b[0], b[2]]),\n"
    "      total: r.map(b => [b[0], b[2] + b[3]]) };\n"
    "    let proc = 0;\n"
    "    for (const b of r) proc += b[2];\n"
    "    sec.querySelector('.sum').textContent = c.batches + ' batches completed, ' + c.records +\n"
    "      ' records, ' + c.skipped + ' skipped; average processing time ' +\n"
    "      (r.length ? fmt(proc / r.length) : '0') + ' ms over the last ' + r.length + ' batches';\n"
    "    for (const k of KINDS) draw(chart(ci, k), k, series[k[0]], t1);\n"
    "    const body = sec.querySelector('tbody');\n"
    "    while (body.firstChild) body.removeChild(body.firstChild);\n"
    "    for (const b of r.slice(-10).reverse()) {\n"
    "      const tr = document.createElement('tr');\n"
    "      for (const v of [new Date(b[0]).toISOString().replace('T', ' ').replace('Z', ''), b[1],\n"
    "                       b[3] + ' ms', fmt(b[2]) + ' ms', fmt(b[2] + b[3]) + ' ms']) {\n"
    "        const td = document.createElement('td');\n"
    "        td.textContent = v;\n"
    "        tr.appendChild(td);\n"
    "      }\n"
    "      body.appendChild(tr);\n"
    "    }\n"
    "  });\n"
    "  document.getElementById('updated').textContent = new Date().toLocaleTimeString();\n"
    "  document.body.setAttribute('data-polls', (+document.body.getAttribute('data-polls') || 0) + 1);\n"
    "}\n"
    "async function tick() {\n"
    "  try {\n"
    "    const res = await fetch('/api/batches', { cache: 'no-store' });\n"
    "    render(await res.json());\n"
    "    document.getElementById('status').textContent = '';\n"
    "  } catch (e) {\n"
    "    document.getElementById('status').textContent = 'not reachable (the program may have ended)';\n"
    "  }\n"
    "}\n"
    "tick();\n"
    "setInterval(tick, 1000);\n"
    "</script>\n"
    "</body>\n</html>\n";

static void html_str(st_buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': st_buf_puts(b, "&lt;"); break;
        case '>': st_buf_puts(b, "&gt;"); break;
        case '&': st_buf_puts(b, "&amp;"); break;
        case '"': st_buf_puts(b, "&quot;"); break;
        default: st_buf_putc(b, *s);
        }
    }
}

void rt_obs_page(rt_prog *p, st_buf *b)
{
    st_buf_puts(b, page_head);
    html_str(b, p->name);
    st_buf_puts(b, page_style);
    st_buf_puts(b, "<h1>");
    html_str(b, p->name);
    st_buf_puts(b, " <small>streaming statistics, streamc " ST_VERSION "</small></h1>\n"
                   "<div class=\"sum\">Updated <span id=\"updated\">-</span> <span id=\"status\"></span> - "
                   "<a href=\"/metrics\">/metrics</a> - <a href=\"/api/batches\">/api/batches</a></div>\n"
                   "<div id=\"contexts\"></div>\n<h2>DAG</h2>\n<div class=\"dag\" id=\"dag\">\n");
    if (p->view && p->view->dag_svg && *p->view->dag_svg)
        st_buf_puts(b, p->view->dag_svg);   /* made by streamc: escaped already */
    else
        st_buf_puts(b, "<p>(no DAG in this executable)</p>\n");
    st_buf_puts(b, "</div>\n");
    st_buf_puts(b, page_script);
}
