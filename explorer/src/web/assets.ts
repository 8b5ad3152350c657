/* Static CSS and the one client script: no build step, a few kilobytes each. */

export const STYLE_CSS = `
:root{--bg:#f5f6fa;--fg:#1b1f2a;--muted:#5b6478;--card:#fff;--line:#e3e6ee;--accent:#3451c7;--ok:#2b8a3e;--warn:#b35c00;--bad:#c92a2a;--head:#17233f}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg);-webkit-text-size-adjust:100%}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
header.top{display:flex;flex-wrap:wrap;gap:.5rem 1.2rem;align-items:center;padding:.7rem 1rem;background:var(--head);color:#fff}
.brand{color:#fff;font-weight:700;font-size:1.2rem;white-space:nowrap}.brand span{font-weight:400;opacity:.7;margin-left:.35rem}
nav.main{display:flex;flex-wrap:wrap;gap:.2rem .9rem}nav.main a{color:#cdd6f4}
form.search{display:flex;flex:1 1 300px;min-width:0;max-width:560px}
form.search input{flex:1;min-width:0;padding:.55rem .7rem;border:0;border-radius:6px 0 0 6px;font-size:16px}
form.search button{padding:.55rem .9rem;border:0;border-radius:0 6px 6px 0;background:#4c6ef5;color:#fff;font-weight:600;font-size:15px}
main{max-width:1200px;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:.4rem 0 1rem;word-break:break-all}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:.75rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:.7rem 1rem}
.card .label{color:var(--muted);font-size:.75rem;text-transform:uppercase;letter-spacing:.05em}
.card .value{font-size:1.45rem;font-weight:650;font-variant-numeric:tabular-nums}
.card .sub{color:var(--muted);font-size:.8rem}
.grid2{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:0 1rem}
.grid2.home{grid-template-columns:minmax(0,2fr) minmax(0,3fr)}
@media (max-width:860px){.grid2,.grid2.home{grid-template-columns:minmax(0,1fr)}}
section.panel{background:var(--card);border:1px solid var(--line);border-radius:10px;margin:1rem 0;overflow:hidden}
section.panel>h2{font-size:1rem;margin:0;padding:.65rem 1rem;border-bottom:1px solid var(--line);display:flex;justify-content:space-between;gap:1rem;align-items:baseline}
section.panel>h2 small{font-weight:400;color:var(--muted);font-size:.8rem}
.table-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{width:100%;border-collapse:collapse}
th,td{padding:.5rem .8rem;text-align:left;border-bottom:1px solid var(--line);white-space:nowrap}
th{font-size:.75rem;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.04em}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr:last-child td{border-bottom:0}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88em}
.muted{color:var(--muted)}
dl.kv{display:grid;grid-template-columns:minmax(120px,220px) 1fr;margin:0}
dl.kv dt{padding:.5rem 1rem;color:var(--muted);border-bottom:1px solid var(--line)}
dl.kv dd{margin:0;padding:.5rem 1rem;border-bottom:1px solid var(--line);overflow-wrap:anywhere;min-width:0}
.badge{display:inline-block;padding:.1rem .6rem;border-radius:999px;font-size:.8rem;font-weight:600;background:#e7ecf8;color:#364fc7;white-space:nowrap}
.badge.ok{background:#d3f9d8;color:var(--ok)}.badge.warn{background:#fff3bf;color:var(--warn)}.badge.bad{background:#ffe3e3;color:var(--bad)}
ol.steps{display:flex;flex-wrap:wrap;gap:.4rem;list-style:none;padding:.8rem 1rem;margin:0}
ol.steps li{padding:.3rem .75rem;border-radius:6px;background:#eef0f5;color:var(--muted)}
ol.steps li.done{background:#d3f9d8;color:var(--ok);font-weight:600}
ul.nodes{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:.6rem;list-style:none;padding:.8rem 1rem;margin:0}
li.node{border:1px solid var(--line);border-left:6px solid var(--muted);border-radius:8px;padding:.45rem .7rem;min-width:0}
li.node.ok{border-left-color:var(--ok)}li.node.warn{border-left-color:var(--warn)}li.node.down{border-left-color:var(--bad)}
li.node .node-url{font-size:.8rem;color:var(--muted);overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.pager{display:flex;flex-wrap:wrap;gap:1rem;padding:.7rem 1rem;border-top:1px solid var(--line)}
.empty{padding:1rem;color:var(--muted)}
.notice{padding:.7rem 1rem;background:#fff9db;border-bottom:1px solid var(--line)}
.error-page{max-width:680px;margin:2.5rem auto;background:var(--card);border:1px solid var(--line);border-radius:12px;padding:1.5rem}
.error-page h1{margin-top:0}.error-page .code{color:var(--muted);font-size:.85rem}
ul.choices{padding-left:1.2rem}
tr.fresh{animation:flash 2s ease-out}@keyframes flash{from{background:#fff3bf}to{background:transparent}}
footer{max-width:1200px;margin:0 auto;padding:1rem;color:var(--muted);font-size:.85rem}
@media (max-width:640px){
  main{padding:.6rem}
  .hide-sm{display:none}
  th,td{padding:.45rem .55rem}
  dl.kv{grid-template-columns:1fr}
  ul.nodes{grid-template-columns:1fr 1fr;padding:.6rem}
  li.node{padding:.35rem .5rem;font-size:.9rem}
  dl.kv dt{border-bottom:0;padding-bottom:0;font-size:.8rem}
  .card .value{font-size:1.2rem}
  h1{font-size:1.15rem}
}
`;

/**
 * Live updates. The server pushes `block`, `status` and `l1` Server-Sent Events; this script
 * inserts rows on the home page, refreshes counters and cluster health, and re-reads the JSON
 * of a transaction or batch page when something may have changed its status. Text only goes
 * through textContent, so nothing from the network is parsed as HTML.
 */
export const APP_JS = `
(function () {
  'use strict';
  function $(s, r) { return (r || document).querySelector(s); }
  function $$(s, r) { return Array.prototype.slice.call((r || document).querySelectorAll(s)); }
  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    (kids || []).forEach(function (k) { e.appendChild(typeof k === 'string' ? document.createTextNode(k) : k); });
    return e;
  }
  function setText(sel, text) { $$(sel).forEach(function (e) { e.textContent = text; }); }
  function short(h) { return h && h.length > 15 ? h.slice(0, 8) + '\\u2026' + h.slice(-6) : h; }
  function ms(ts) { var n = Number(ts); return n < 1e12 ? n * 1000 : n; }
  function ago(ts) {
    var s = Math.max(0, Math.round((Date.now() - ms(ts)) / 1000));
    if (s < 60) return s + 's ago';
    if (s < 3600) return Math.floor(s / 60) + 'm ago';
    if (s < 86400) return Math.floor(s / 3600) + 'h ago';
    return Math.floor(s / 86400) + 'd ago';
  }
  var MAX_ROWS = 10;
  function trim(tbody) { while (tbody.rows.length > MAX_ROWS) tbody.deleteRow(tbody.rows.length - 1); }
  function dropEmpty(table) { if (!table) return; var e = table.parentNode.querySelector('.empty'); if (e) e.remove(); table.hidden = false; }

  function addBlock(b) {
    var tb = $('#latest-blocks tbody');
    if (!tb || tb.querySelector('[data-height="' + b.height + '"]')) return;
    dropEmpty($('#latest-blocks'));
    var tr = el('tr', { 'data-height': b.height, 'class': 'fresh' }, [
      el('td', {}, [el('a', { href: '/block/' + b.height }, [b.height])]),
      el('td', { 'class': 'mono hide-sm' }, [el('a', { href: '/block/' + b.hash }, [short(b.hash)])]),
      el('td', { 'class': 'num' }, [String(b.txCount)]),
      el('td', { 'data-ts': b.timestamp }, [ago(b.timestamp)])
    ]);
    tb.insertBefore(tr, tb.firstChild);
    trim(tb);
    var shown = $('[data-live=indexed]');
    if (shown && !(Number(shown.textContent) >= Number(b.height))) setText('[data-live=indexed]', b.height);
  }
  function addTx(t) {
    var tb = $('#latest-txs tbody');
    if (!tb || tb.querySelector('[data-hash="' + t.hash + '"]')) return;
    dropEmpty($('#latest-txs'));
    var tr = el('tr', { 'data-hash': t.hash, 'class': 'fresh' }, [
      el('td', { 'class': 'mono' }, [el('a', { href: '/tx/' + t.hash }, [short(t.hash)])]),
      el('td', {}, [t.typeName]),
      el('td', { 'class': 'hide-sm' }, [t.parties]),
      el('td', { 'class': 'num' }, [t.amountText || ''])
    ]);
    tb.insertBefore(tr, tb.firstChild);
    trim(tb);
  }
  function onStatus(s) {
    setText('[data-live=tps]', Number(s.tps).toFixed(1));
    setText('[data-live=indexed]', s.indexedHeight == null ? '\\u2013' : s.indexedHeight);
    setText('[data-live=head]', s.headHeight == null ? '\\u2013' : s.headHeight);
    setText('[data-live=lag]', s.lag == null ? '\\u2013' : s.lag);
    setText('[data-live=sync]', s.lag == null ? 'connecting to the sequencer\\u2026' : s.lag === '0' ? 'in sync at block ' + s.indexedHeight : 'indexing: ' + s.lag + ' blocks behind');
    if (s.l1 && s.l1.enabled) {
      setText('[data-live=l1-committed]', s.l1.committedHead == null ? 'none' : s.l1.committedHead);
      setText('[data-live=l1-verified]', s.l1.verifiedHead == null ? 'none' : s.l1.verifiedHead);
    }
    (s.cluster || []).forEach(function (n, i) {
      var li = $('[data-node="' + i + '"]');
      if (!li) return;
      li.className = 'node ' + (n.healthy ? 'ok' : n.up ? 'warn' : 'down');
      var st = $('.node-state', li); if (st) st.textContent = n.healthy ? 'healthy' : n.up ? (n.status && n.status.syncing ? 'syncing' : 'behind') : 'down';
      var h = $('.node-height', li); if (h) h.textContent = n.status && n.status.height != null ? 'height ' + n.status.height + ' \\u00b7 ' + (n.status.peers == null ? '?' : n.status.peers) + ' peers' : (n.error ? 'unreachable' : '');
    });
  }
  var refreshing = false;
  /*
   * Transaction and batch pages: when their JSON says the status moved, fetch this same page
   * again and swap the status section in place (our own server-rendered, escaped HTML; a
   * parsed document never runs scripts). No reload, and every field stays consistent.
   */
  function refresh() {
    var box = $('[data-refresh]');
    if (!box || refreshing) return;
    refreshing = true;
    fetch(box.getAttribute('data-refresh'), { headers: { accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) {
        if (!j || j.status === box.getAttribute('data-state')) return null;
        return fetch(location.href, { headers: { accept: 'text/html' } })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (text) {
            if (!text) return;
            var fresh = new DOMParser().parseFromString(text, 'text/html').querySelector('[data-refresh]');
            if (fresh) box.replaceWith(document.importNode(fresh, true));
          });
      })
      .catch(function () {})
      .then(function () { refreshing = false; });
  }
  setInterval(function () { $$('[data-ts]').forEach(function (e) { e.textContent = ago(e.getAttribute('data-ts')); }); }, 5000);
  if (!window.EventSource) return;
  var es = new EventSource('/api/events');
  es.addEventListener('block', function (e) {
    var d = JSON.parse(e.data);
    addBlock(d.block);
    (d.txs || []).slice().reverse().forEach(addTx);
    refresh();
  });
  es.addEventListener('status', function (e) { onStatus(JSON.parse(e.data)); });
  es.addEventListener('l1', function () { refresh(); });
  es.addEventListener('open', function () { document.documentElement.setAttribute('data-live', 'on'); });
  es.addEventListener('error', function () { document.documentElement.setAttribute('data-live', 'reconnecting'); });
})();
`;
