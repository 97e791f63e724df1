// paysim console: a single-page app over the control plane's JSON (/__paysim/...).
//
// Rules this file keeps:
// - every value from paysim is rendered as text (textContent, createTextNode,
//   setAttribute); nothing is ever parsed as HTML;
// - every state-changing call is a same-origin fetch with Content-Type application/json
//   and a JSON body, {} when it has nothing to say;
// - times are shown in Beijing time (UTC+8, no daylight saving), whatever the browser's
//   zone;
// - only the page shown polls, about once a second; the journal is polled with after=.
'use strict';

(() => {
  // ---------------------------------------------------------------- paths

  const UI = '/ui/';
  const API = (() => {
    const p = location.pathname;
    const i = p.indexOf(UI);
    return i >= 0 ? p.slice(0, i) : '/__paysim';
  })();
  const UIBASE = API + UI;
  const POLL_MS = 1000;

  // ---------------------------------------------------------------- DOM, escaped

  function setAttrs(el, attrs) {
    if (!attrs) return;
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') {
        el.addEventListener(k.slice(2), v);
      } else if (k === 'class') {
        el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : String(v));
      } else if (k === 'data') {
        for (const [dk, dv] of Object.entries(v)) if (dv !== undefined && dv !== null) el.dataset[dk] = String(dv);
      } else if (k === 'value') {
        el.value = String(v);
      } else if (k === 'checked' || k === 'disabled' || k === 'selected' || k === 'open' || k === 'hidden') {
        el[k] = Boolean(v);
      } else {
        el.setAttribute(k, v === true ? '' : String(v));
      }
    }
  }

  function append(el, kids) {
    for (const k of kids.flat(Infinity)) {
      if (k === undefined || k === null || k === false) continue;
      el.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
    return el;
  }

  // h builds an HTML element; text children become text nodes.
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    setAttrs(el, attrs);
    return append(el, kids);
  }

  const SVGNS = 'http://www.w3.org/2000/svg';
  function s(tag, attrs, ...kids) {
    const el = document.createElementNS(SVGNS, tag);
    if (attrs) for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
    return append(el, kids);
  }

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  }

  function replace(el, ...kids) {
    clear(el);
    return append(el, kids);
  }

  // ---------------------------------------------------------------- time, Beijing

  const BJ = 8 * 3600 * 1000;

  function parseTime(t) {
    if (!t) return null;
    // Go writes nanoseconds; Date.parse takes milliseconds.
    const ms = Date.parse(String(t).replace(/(\.\d{3})\d+/, '$1'));
    if (Number.isNaN(ms) || ms < 0) return null; // Go's zero time, or no time
    return ms;
  }

  const pad = (n, w = 2) => String(n).padStart(w, '0');

  // bj formats a time as Beijing wall time: 2026-01-01 10:00:30.
  function bj(t, withMs) {
    const ms = typeof t === 'number' ? t : parseTime(t);
    if (ms === null) return '';
    const d = new Date(ms + BJ);
    let out = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
      `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    if (withMs) out += '.' + pad(d.getUTCMilliseconds(), 3);
    return out;
  }

  // bjTime is the time of day only, for compact tables.
  function bjTime(t) {
    return bj(t).slice(11);
  }

  // withBJ rewrites the RFC 3339 times inside a sentence ("moves at 2026-...T...+08:00")
  // as Beijing wall time.
  function withBJ(text) {
    return String(text || '').replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)/g, (m) => bj(m) || m);
  }

  function took(ns) {
    if (!ns) return '—';
    const ms = ns / 1e6;
    if (ms < 1) return ms.toFixed(2) + ' ms';
    if (ms < 1000) return ms.toFixed(1) + ' ms';
    return (ms / 1000).toFixed(2) + ' s';
  }

  // ---------------------------------------------------------------- the control plane

  class ApiError extends Error {
    constructor(status, message, body) {
      super(message);
      this.status = status;
      this.body = body;
    }
  }

  // A paysim started with an admin token wants it on every call: the console takes it once
  // from the address (#token=...), keeps it for the tab, and takes it out of the address bar.
  const tokenMatch = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (tokenMatch) {
    sessionStorage.setItem('paysim-token', decodeURIComponent(tokenMatch[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }

  async function call(method, path, body) {
    const init = { method, credentials: 'same-origin', mode: 'same-origin', cache: 'no-store', redirect: 'error', headers: { Accept: 'application/json' } };
    const token = sessionStorage.getItem('paysim-token');
    if (token) init.headers.Authorization = 'Bearer ' + token;
    if (method !== 'GET') {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body || {});
    }
    let resp;
    try {
      resp = await fetch(API + path, init);
    } catch (e) {
      throw new ApiError(0, 'paysim does not answer (' + (e && e.message ? e.message : e) + ')', null);
    }
    const text = await resp.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      data = null;
    }
    if (!resp.ok) {
      let msg = (data && data.error) || text || resp.statusText;
      if (data && Array.isArray(data.problems)) msg += '\n' + data.problems.join('\n');
      throw new ApiError(resp.status, `${method} ${API}${path}: ${resp.status} ${msg}`, data);
    }
    return data;
  }

  const get = (path) => call('GET', path);
  const post = (path, body) => call('POST', path, body);
  const del = (path, body) => call('DELETE', path, body);

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    const str = q.toString();
    return str ? '?' + str : '';
  }

  // ---------------------------------------------------------------- notices

  const noticeEl = document.getElementById('notice');
  let noticeTimer = null;
  let connectionDown = false;

  function notice(text, kind) {
    clearTimeout(noticeTimer);
    noticeEl.className = 'notice ' + (kind || '');
    noticeEl.textContent = text;
    noticeEl.hidden = false;
    noticeTimer = setTimeout(() => { noticeEl.hidden = true; }, kind === 'error' ? 12000 : 5000);
  }

  function failed(e) {
    if (e instanceof ApiError && e.status === 0) {
      connectionDown = true;
      clearTimeout(noticeTimer);
      noticeEl.className = 'notice error';
      noticeEl.textContent = e.message + '; retrying every second';
      noticeEl.hidden = false;
      return;
    }
    notice(e && e.message ? e.message : String(e), 'error');
  }

  function reachable() {
    if (connectionDown) {
      connectionDown = false;
      noticeEl.hidden = true;
    }
  }

  // ---------------------------------------------------------------- polling

  // poller runs fn now and then every POLL_MS while the tab is visible; now() runs it at
  // once (after the run in flight, if any).
  function poller(fn, ms = POLL_MS) {
    let stopped = false;
    let running = null;
    let again = false;
    let timer = null;
    const schedule = () => {
      if (!stopped) timer = setTimeout(() => (document.hidden ? schedule() : run()), ms);
    };
    async function run() {
      if (stopped) return;
      if (running) {
        again = true;
        return running;
      }
      clearTimeout(timer);
      running = (async () => {
        try {
          await fn();
          reachable();
        } catch (e) {
          failed(e);
        }
      })();
      await running;
      running = null;
      if (again) {
        again = false;
        return run();
      }
      schedule();
    }
    run();
    return { now: run, stop() { stopped = true; clearTimeout(timer); } };
  }

  // ---------------------------------------------------------------- shared state

  const state = { health: null, scenarios: null, scenariosAt: 0 };

  async function loadHealth() {
    state.health = await get('/health');
    const hl = state.health;
    document.getElementById('health').textContent =
      `${hl.version || 'paysim'} · seed ${hl.seed} · verify ${hl.verify} · ${hl.scenarios} scenarios · ${(hl.providers || []).join(', ')}`;
    return hl;
  }

  function providers() {
    return (state.health && state.health.providers) || ['huifu', 'huishouqian', 'shouqianba', 'umpay'];
  }

  async function loadScenarios(maxAge = 5000) {
    if (!state.scenarios || Date.now() - state.scenariosAt > maxAge) {
      state.scenarios = await get('/scenarios');
      state.scenariosAt = Date.now();
    }
    return state.scenarios;
  }

  function scenarioNamed(name) {
    const list = (state.scenarios && state.scenarios.scenarios) || [];
    return list.find((sc) => sc.name === name) || null;
  }

  // ---------------------------------------------------------------- small widgets

  const FINAL = new Set(['success', 'failed', 'closed']);

  function badge(text, cls) {
    return h('span', { class: ['badge', cls || text] }, text);
  }

  function kv(rows) {
    const body = rows.filter((r) => r && r[1] !== undefined && r[1] !== null && r[1] !== '').map(([k, v]) => h('tr', null, h('th', null, k), h('td', null, v)));
    return body.length ? h('table', { class: 'kv' }, h('tbody', null, body)) : null;
  }

  function mapTable(m) {
    const keys = Object.keys(m || {}).sort();
    return keys.length ? kv(keys.map((k) => [k, h('span', { class: 'mono' }, m[k])])) : null;
  }

  function select(name, label, options, value, attrs) {
    const sel = h('select', Object.assign({ name, 'aria-label': label }, attrs || {}),
      options.map(([v, text]) => h('option', { value: v, selected: v === (value || '') }, text)));
    return h('label', null, label, sel);
  }

  function input(name, label, value, attrs) {
    return h('label', null, label, h('input', Object.assign({ name, value: value || '', autocomplete: 'off', spellcheck: 'false' }, attrs || {})));
  }

  function providerOptions(any) {
    return [['', any || 'any provider']].concat(providers().map((p) => [p, p]));
  }

  // bodyBlock shows a body as sent, with a formatted view when it is JSON or a form.
  function bodyBlock(title, text, cls) {
    if (text === undefined || text === null || text === '') return null;
    const raw = String(text);
    let pretty = null;
    try {
      const v = JSON.parse(raw);
      if (v && typeof v === 'object') pretty = JSON.stringify(v, null, 2);
    } catch (e) {
      if (/^[\w.%+-]+=[^&\s]*(&[\w.%+-]+=[^&\s]*)+$/.test(raw)) {
        const lines = [];
        for (const [k, v] of new URLSearchParams(raw)) lines.push(`${k} = ${v}`);
        pretty = lines.join('\n');
      }
    }
    const pre = h('pre', { class: cls || '' }, raw);
    let showing = 'raw';
    const toggle = pretty === null ? null : h('button', {
      type: 'button', class: 'toggle',
      onclick: (ev) => {
        ev.stopPropagation();
        showing = showing === 'raw' ? 'pretty' : 'raw';
        pre.textContent = showing === 'raw' ? raw : pretty;
        toggle.textContent = showing === 'raw' ? 'formatted' : 'as sent';
      },
    }, 'formatted');
    return h('div', { class: 'body-block' }, h('div', { class: 'body-head' }, title, toggle), pre);
  }

  function setQuery(params) {
    const url = location.pathname + query(params);
    if (url !== location.pathname + location.search) history.replaceState(null, '', url);
  }

  function formValues(form) {
    const out = {};
    for (const el of form.elements) if (el.name) out[el.name] = el.value.trim();
    return out;
  }

  // ---------------------------------------------------------------- state machines

  const CH = 7.4; // approximate width of a 12.5px monospace character

  // drawMachine draws a scenario's states as boxes with arrows. With a report, the
  // states the entity went through, the moves it made (with their times) and its current
  // state are marked; a state reached outside the scenario (a close, an expiry) is drawn
  // dashed at the end.
  function drawMachine(sc, rep) {
    let states = sc && Array.isArray(sc.states) ? sc.states.map((st) => Object.assign({}, st)) : [];
    const history = (rep && rep.history) || [];
    if (!states.length && rep) {
      // A built-in scenario (immediate success, seeded): the states it went through.
      const seen = [];
      for (const tr of history) if (!seen.includes(tr.to)) seen.push(tr.to);
      if (!seen.includes(rep.state)) seen.push(rep.state);
      states = seen.map((name, i) => ({ name, status: name === rep.state ? rep.status : '', next: seen[i + 1] || '' }));
    }
    if (!states.length) return h('div', { class: 'meta' }, 'no states: the operation is refused');
    const index = new Map(states.map((st, i) => [st.name, i]));
    const entered = new Map();
    const taken = new Set();
    for (const tr of history) {
      if (!entered.has(tr.to)) entered.set(tr.to, tr.at);
      if (tr.from) taken.add(tr.from + '\u0000' + tr.to);
    }
    let override = null;
    if (rep && !index.has(rep.state)) {
      const last = [...history].reverse().find((tr) => tr.to === rep.state);
      override = { name: rep.state, status: rep.status, from: last ? last.from : states[states.length - 1].name, cause: last ? last.cause : '' };
      index.set(override.name, states.length);
      states.push({ name: override.name, status: override.status, override: true });
    }
    const edges = [];
    states.forEach((st, i) => {
      if (st.next && index.has(st.next)) edges.push({ from: i, to: index.get(st.next), label: st.until || '', taken: taken.has(st.name + '\u0000' + st.next) });
    });
    if (override && index.has(override.from)) {
      edges.push({ from: index.get(override.from), to: index.get(override.name), label: override.cause, taken: true, override: true });
    }

    // Layout: boxes in declared order, the gap before each wide enough for the label of
    // the straight edge that crosses it.
    const boxW = states.map((st) => Math.max(104, CH * Math.max(st.name.length, (st.status || '').length + 2) + 26));
    const gap = states.map(() => 64);
    for (const e of edges) {
      if (e.to === e.from + 1) gap[e.to] = Math.max(gap[e.to], Math.min(260, 6.3 * e.label.length + 26));
    }
    const arcsAbove = edges.some((e) => e.to > e.from + 1 || e.to <= e.from);
    const top = arcsAbove ? 58 : 26;
    const boxH = 46;
    const xs = [];
    let x = 8;
    states.forEach((st, i) => {
      if (i > 0) x += gap[i];
      xs.push(x);
      x += boxW[i];
    });
    const width = x + 8;
    const height = top + boxH + 26;
    const mid = top + boxH / 2;

    const g = [];
    const arrow = (x2, y2, dx, dy, cls) => {
      const len = Math.hypot(dx, dy) || 1;
      const ux = dx / len;
      const uy = dy / len;
      const p = [[x2, y2], [x2 - 8 * ux + 4 * uy, y2 - 8 * uy - 4 * ux], [x2 - 8 * ux - 4 * uy, y2 - 8 * uy + 4 * ux]];
      return s('polygon', { class: cls, points: p.map((q) => q.join(',')).join(' ') });
    };
    for (const e of edges) {
      const cls = ['edge', e.taken ? 'taken' : '', e.override ? 'override' : ''].filter(Boolean).join(' ');
      const head = 'arrowhead' + (e.taken ? ' taken' : '');
      if (e.to === e.from + 1) {
        const x1 = xs[e.from] + boxW[e.from];
        const x2 = xs[e.to];
        g.push(s('line', { class: cls, x1, y1: mid, x2: x2 - 1, y2: mid }));
        g.push(arrow(x2 - 1, mid, 1, 0, head));
        if (e.label) g.push(s('text', { class: 'edge-label', x: (x1 + x2) / 2, y: mid - 7, 'text-anchor': 'middle' }, e.label));
      } else {
        // An arc above the boxes, from the top of one to the top of the other.
        const x1 = xs[e.from] + boxW[e.from] * (e.to > e.from ? 0.65 : 0.35);
        const x2 = xs[e.to] + boxW[e.to] * (e.to > e.from ? 0.35 : 0.65);
        const cy = top - 52;
        g.push(s('path', { class: cls, d: `M ${x1} ${top} C ${x1} ${cy}, ${x2} ${cy}, ${x2} ${top - 1}` }));
        g.push(arrow(x2, top - 1, 0, 1, head));
        if (e.label) g.push(s('text', { class: 'edge-label', x: (x1 + x2) / 2, y: cy + 10, 'text-anchor': 'middle' }, e.label));
      }
    }
    states.forEach((st, i) => {
      const current = rep && st.name === rep.state;
      const visited = rep && entered.has(st.name);
      const cls = ['box', visited ? 'visited' : '', current ? 'current' : '', st.override ? 'override' : ''].filter(Boolean).join(' ');
      const cx = xs[i] + boxW[i] / 2;
      const box = s('g', { class: 'state', 'data-state': st.name, 'data-current': current ? 'true' : 'false' },
        s('title', null, `${st.name}: ${st.status || ''}${st.until ? ', leaves after ' + st.until : ''}${st.next ? ' → ' + st.next : ''}`),
        s('rect', { class: cls, x: xs[i], y: top, width: boxW[i], height: boxH, rx: 8, ry: 8 }),
        s('text', { class: 'st-name', x: cx, y: top + 19, 'text-anchor': 'middle' }, st.name),
        s('text', { class: 'st-status ' + (st.status || ''), x: cx, y: top + 35, 'text-anchor': 'middle' }, st.status || ''));
      g.push(box);
      if (visited) g.push(s('text', { class: 'edge-label', x: cx, y: top + boxH + 15, 'text-anchor': 'middle' }, bjTime(entered.get(st.name))));
      if (current) g.push(s('text', { class: 'here', x: cx, y: top - 6, 'text-anchor': 'middle' }, '▼ NOW'));
    });
    return h('div', { class: 'machine' }, s('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'state machine' }, g));
  }

  function historyTable(history) {
    if (!history || !history.length) return null;
    return h('table', { class: 'history' },
      h('thead', null, h('tr', null, h('th', null, 'at (Beijing)'), h('th', null, 'move'), h('th', null, 'cause'))),
      h('tbody', null, history.map((tr) => h('tr', null,
        h('td', { class: 'nowrap mono' }, bj(tr.at)),
        h('td', { class: 'mono' }, tr.from ? `${tr.from} → ${tr.to}` : `→ ${tr.to}`),
        h('td', null, tr.cause)))));
  }

  function nextLine(rep) {
    if (rep.next) return h('div', { class: 'next', data: { next: '' } }, h('b', null, 'Next: '), withBJ(rep.next));
    if (FINAL.has(rep.status)) return h('div', { class: 'next final' }, `Final: ${rep.status}. Nothing moves it any more.`);
    return null;
  }

  // ---------------------------------------------------------------- Orders

  function entityCard(rep, open, payer) {
    const sc = scenarioNamed(rep.scenario);
    const isPayment = rep.operation === 'payment';
    // The payer's own moves, for an order still waiting for them (a QR code, a hosted
    // checkout page): what POST /__paysim/orders/pay and /fail do.
    const undecided = isPayment && payer && (rep.status === 'processing' || rep.status === 'unknown');
    const payerActs = undecided ? h('div', { class: 'payer' },
      h('button', { type: 'button', data: { payer: 'pay' }, title: 'the payer scans and confirms: the order is paid now and its notification goes out', onclick: (ev) => payer(rep, 'pay', ev.target) }, 'payer pays now'),
      h('button', { type: 'button', class: 'secondary', data: { payer: 'fail' }, title: 'the payer cancels, or has too little money: the order fails now', onclick: (ev) => payer(rep, 'fail', ev.target) }, 'payer fails')) : null;
    const details = [];
    const fields = mapTable(rep.fields);
    const aliases = mapTable(rep.aliases);
    if (fields) details.push(h('details', { open: open.has(rep.id + ':fields'), ontoggle: (ev) => toggleSet(open, rep.id + ':fields', ev.target.open) }, h('summary', null, 'fields stored at creation'), fields));
    if (aliases) details.push(h('details', { open: open.has(rep.id + ':aliases'), ontoggle: (ev) => toggleSet(open, rep.id + ':aliases', ev.target.open) }, h('summary', null, 'other ids'), aliases));
    return h('section', { class: ['entity', rep.operation], data: { entity: rep.id, status: rep.status, state: rep.state, operation: rep.operation } },
      h('div', { class: 'entity-head' },
        h('span', { class: 'kind' }, rep.operation),
        h('span', { class: 'id' }, rep.id),
        h('span', { class: 'amount' }, '¥' + rep.amount),
        badge(rep.status),
        h('span', { class: 'meta' }, 'state ', h('code', null, rep.state)),
        rep.provider_id ? h('span', { class: 'meta mono', title: 'the provider\'s id' }, rep.provider_id) : null,
        h('span', { class: 'meta' }, 'created ', bj(rep.created_at)),
        rep.finished_at ? h('span', { class: 'meta' }, 'final ', bj(rep.finished_at)) : null),
      h('div', { class: 'entity-body' },
        h('div', null,
          drawMachine(sc, rep),
          nextLine(rep)),
        h('div', null,
          h('div', { class: 'why' },
            h('div', null, h('b', null, 'Scenario '), h('code', null, rep.scenario), rep.scenario_source ? h('span', { class: 'meta' }, ' (' + rep.scenario_source + ')') : null),
            h('div', null, h('b', null, 'Chosen because '), rep.selected_by || '—'),
            sc && sc.description ? h('div', { class: 'meta' }, sc.description) : null),
          payerActs,
          kv([
            ['status queries', String(rep.queries)],
            isPayment ? ['refunded', rep.refunded] : null,
            isPayment ? ['refunds pending', rep.pending_refunds] : null,
            isPayment ? ['refundable', rep.refundable] : null,
            isPayment ? ['closure', rep.closure] : null,
            isPayment && rep.expires_at ? ['expires', bj(rep.expires_at)] : null,
          ]),
          historyTable(rep.history),
          details)));
  }

  function toggleSet(set, key, on) {
    if (on) set.add(key);
    else set.delete(key);
  }

  function orderDetail(rep, open, payer) {
    const kids = [];
    for (const r of rep.refunds || []) kids.push(entityCard(r, open));
    for (const c of rep.closes || []) kids.push(entityCard(c, open));
    return h('div', { class: 'order-detail' },
      entityCard(rep, open, payer),
      kids.length ? h('div', { class: 'children' }, kids) : null);
  }

  const orderKey = (r) => `${r.provider}/${r.merchant}/${r.id}`;

  // idMatches is paysim's own lookup by id: the merchant's id, the provider's, or another id
  // of the payment, of one of its refunds or of one of its closes.
  function idMatches(r, id) {
    const own = (e) => e.id === id || e.provider_id === id || Object.values(e.aliases || {}).includes(id);
    return own(r) || (r.refunds || []).some(own) || (r.closes || []).some(own);
  }

  function childChips(list) {
    if (!list || !list.length) return h('span', { class: 'meta' }, '—');
    return h('div', { class: 'chips' }, list.map((c) => h('span', { class: 'chip', data: { child: c.id, status: c.status } },
      h('code', null, c.id), ' ', badge(c.status), ' ', h('span', { class: 'meta' }, '¥' + c.amount))));
  }

  function ordersPage(main) {
    const params = new URLSearchParams(location.search);
    const f = { provider: params.get('provider') || '', merchant: params.get('merchant') || '', status: params.get('status') || '', id: params.get('id') || '' };
    let openKey = params.get('open') || '';
    let userClosed = false;
    const openDetails = new Set();
    let list = [];
    let extra = [];
    let cursor = '';
    let message = '';
    let lastSig = '';
    const lastRow = new Map();

    const form = h('form', { class: 'filters', onsubmit: (ev) => { ev.preventDefault(); apply(); }, onchange: () => apply() },
      select('provider', 'provider', providerOptions(), f.provider),
      input('merchant', 'merchant', f.merchant, { placeholder: 'any merchant', size: 18 }),
      select('status', 'status (payment, refund or close)', [['', 'any status'], ['processing', 'processing'], ['success', 'success'], ['failed', 'failed'], ['closed', 'closed'], ['unknown', 'unknown']], f.status),
      input('id', 'id (merchant\'s, provider\'s, refund\'s or close\'s)', f.id, { placeholder: 'any id', size: 26 }),
      h('button', { type: 'submit' }, 'filter'),
      h('button', { type: 'button', class: 'secondary', onclick: () => { for (const el of form.elements) if (el.name) el.value = ''; apply(); } }, 'clear'),
      h('span', { class: 'live' }, 'live'));
    const summary = h('div', { class: 'meta' });
    const tbody = h('tbody');
    const more = h('div');
    main.append(h('h1', null, 'Orders'), h('div', { class: 'panel' }, form, summary), h('table', { class: 'list', id: 'orders' },
      h('thead', null, h('tr', null, ['created', 'provider', 'merchant', 'id', 'amount', 'status', 'scenario', 'refunds', 'closes'].map((t) => h('th', { class: 'nowrap' }, t)))),
      tbody), more);

    function writeURL() {
      setQuery({ provider: f.provider, merchant: f.merchant, status: f.status, id: f.id, open: openKey });
    }

    function apply() {
      const v = formValues(form);
      const changed = ['provider', 'merchant', 'id'].some((k) => v[k] !== f[k]);
      Object.assign(f, v);
      if (changed) {
        extra = [];
        openKey = '';
        userClosed = false;
      }
      writeURL();
      lastSig = '';
      poll.now();
    }

    async function load() {
      await loadScenarios();
      message = '';
      let got = [];
      let next = '';
      if (f.id) {
        // The whole list answers an id lookup with no error status (no red line in the
        // browser's console each second for an id that matches nothing); a paged list
        // cannot, so then paysim looks the id up.
        const page = await get('/orders' + query({ provider: f.provider, merchant: f.merchant }));
        if (!page.next_cursor) {
          got = (page.orders || []).filter((r) => idMatches(r, f.id));
          if (!got.length) message = `no payment, refund or close with id "${f.id}"`;
          list = got;
          cursor = '';
          render();
          return;
        }
        try {
          const one = await get('/orders' + query({ provider: f.provider, merchant: f.merchant, id: f.id }));
          got = [one];
        } catch (e) {
          if (!(e instanceof ApiError) || (e.status !== 404 && e.status !== 409)) throw e;
          got = (e.body && e.body.orders) || [];
          message = (e.body && e.body.error) || e.message;
        }
      } else {
        const page = await get('/orders' + query({ provider: f.provider, merchant: f.merchant }));
        got = page.orders || [];
        next = page.next_cursor || '';
      }
      list = got;
      if (!extra.length) cursor = next;
      render();
    }

    async function loadMore() {
      const page = await get('/orders' + query({ provider: f.provider, merchant: f.merchant, cursor }));
      extra = extra.concat(page.orders || []);
      cursor = page.next_cursor || '';
      lastSig = '';
      render();
    }

    function matchesStatus(r) {
      if (!f.status) return true;
      return r.status === f.status || (r.refunds || []).some((x) => x.status === f.status) || (r.closes || []).some((x) => x.status === f.status);
    }

    function render() {
      const seen = new Set(list.map(orderKey));
      const all = list.concat(extra.filter((r) => !seen.has(orderKey(r))));
      const shown = all.filter(matchesStatus);
      // Newest first; paysim lists in creation order, so a tie keeps the later one first.
      const order = new Map(all.map((r, i) => [r, i]));
      shown.sort((a, b) => (parseTime(b.created_at) || 0) - (parseTime(a.created_at) || 0) || order.get(b) - order.get(a));
      // Looking an id up opens what it found, unless closed by hand.
      const autoOpen = openKey || (f.id && !userClosed && shown.length === 1 ? orderKey(shown[0]) : '');
      const sig = JSON.stringify([shown, autoOpen, message, cursor, state.scenariosAt > 0]);
      if (sig === lastSig) return;
      lastSig = sig;
      summary.textContent = message || (`${shown.length} payment${shown.length === 1 ? '' : 's'} shown` +
        (shown.length !== all.length ? ` of ${all.length}` : '') + ' · newest first · click one for its refunds, closes and state machine');
      clear(tbody);
      if (!shown.length) {
        const filtered = f.provider || f.merchant || f.status || f.id;
        tbody.append(h('tr', null, h('td', { class: 'empty', colspan: 9 }, filtered ? 'No payment matches these filters.'
          : 'No payment yet. Seed one with POST /__paysim/orders, or send a payment to a provider path.')));
      }
      for (const r of shown) {
        const key = orderKey(r);
        const rowSig = JSON.stringify(r);
        const fresh = lastRow.has(key) && lastRow.get(key) !== rowSig;
        lastRow.set(key, rowSig);
        const isOpen = key === autoOpen;
        tbody.append(h('tr', {
          class: ['row', isOpen ? 'open' : '', fresh ? 'fresh' : ''], data: { order: key, status: r.status },
          onclick: () => {
            userClosed = isOpen;
            openKey = isOpen ? '' : key;
            writeURL();
            lastSig = '';
            render();
          },
        },
        h('td', { class: 'nowrap mono' }, bj(r.created_at)),
        h('td', null, r.provider),
        h('td', { class: 'mono' }, r.merchant),
        h('td', null, h('code', null, r.id), r.provider_id ? h('div', { class: 'meta mono' }, r.provider_id) : null),
        h('td', { class: 'nowrap' }, '¥' + r.amount),
        h('td', null, badge(r.status), h('div', { class: 'meta mono' }, r.state)),
        h('td', null, h('code', null, r.scenario)),
        h('td', null, childChips(r.refunds)),
        h('td', null, childChips(r.closes))));
        if (isOpen) tbody.append(h('tr', { class: 'detail-row' }, h('td', { class: 'detail', colspan: 9 }, orderDetail(r, openDetails, payer))));
      }
      replace(more, cursor ? h('button', { type: 'button', class: 'secondary', onclick: () => loadMore().catch(failed) }, 'more') : null);
    }

    async function payer(rep, action, btn) {
      btn.disabled = true;
      try {
        const got = await post('/orders/' + action, { provider: rep.provider, merchant: rep.merchant, id: rep.id });
        notice(`Order ${rep.id} is now ${got.status || (action === 'pay' ? 'paid' : 'failed')}: the payer ${action === 'pay' ? 'paid' : 'did not pay'}, and its notification goes out`, 'ok');
      } catch (e) {
        failed(e);
      } finally {
        btn.disabled = false;
        lastSig = '';
        poll.now();
      }
    }

    const poll = poller(load);
    return poll;
  }

  // ---------------------------------------------------------------- Requests

  const OUTCOMES = ['served', 'refused', 'bad_signature', 'fault'];

  function requestsPage(main) {
    const params = new URLSearchParams(location.search);
    const f = {};
    for (const k of ['provider', 'merchant', 'order', 'path', 'outcome']) f[k] = params.get(k) || '';
    let limit = params.get('limit') || '200';
    let entries = [];
    let maxSeq = 0;
    let lastHeld = -1;
    let loaded = false;
    const openSeqs = new Set();

    const form = h('form', { class: 'filters', onsubmit: (ev) => { ev.preventDefault(); apply(); }, onchange: () => apply() },
      select('provider', 'provider', providerOptions(), f.provider),
      input('merchant', 'merchant', f.merchant, { placeholder: 'any', size: 16 }),
      input('order', 'order (any id of the request)', f.order, { placeholder: 'any id', size: 20 }),
      input('path', 'path (exact, or ending in / or *)', f.path, { placeholder: '/v3/trade/payment/scanpay/*', size: 28 }),
      select('outcome', 'outcome', [['', 'any outcome']].concat(OUTCOMES.map((o) => [o, o])), f.outcome),
      select('limit', 'keep', [['100', '100'], ['200', '200'], ['500', '500'], ['1000', '1000']], limit),
      h('button', { type: 'submit' }, 'filter'),
      h('button', { type: 'button', class: 'secondary', onclick: () => { for (const el of form.elements) if (el.name && el.name !== 'limit') el.value = ''; apply(); } }, 'clear'),
      h('span', { class: 'live' }, 'live'));
    const summary = h('div', { class: 'meta' });
    const tbody = h('tbody');
    main.append(h('h1', null, 'Requests'), h('div', { class: 'panel' }, form, summary), h('table', { class: 'list', id: 'requests' },
      h('thead', null, h('tr', null, ['seq', 'at (Beijing)', 'provider', 'request', 'merchant / ids', 'verify', 'outcome', 'status', 'scenario', 'fault', 'took'].map((t) => h('th', { class: 'nowrap' }, t)))),
      tbody));

    function apply() {
      const v = formValues(form);
      limit = v.limit || '200';
      delete v.limit;
      Object.assign(f, v);
      setQuery(Object.assign({}, f, { limit: limit === '200' ? '' : limit }));
      entries = [];
      maxSeq = 0;
      loaded = false;
      openSeqs.clear();
      clear(tbody);
      poll.now();
    }

    function detail(e) {
      const hdr = mapTable(e.request_header);
      return h('td', { class: 'detail', colspan: 11 },
        e.diagnostic ? bodyBlock(e.outcome === 'bad_signature' ? 'diagnostic: what paysim expected to be signed, Go-quoted' : 'diagnostic', e.diagnostic, 'diagnostic') : null,
        h('div', { class: 'detail-grid' },
          kv([
            ['verify', e.verify],
            ['outcome', e.outcome],
            ['nearest', e.nearest],
            ['operation', e.operation],
            ['via proxy for', e.proxy_host],
            ['scenario', e.scenario],
            ['why this scenario', e.scenario_why],
            ['fault', e.fault],
            ['fault from', e.fault_from],
            ['took', took(e.took_ns)],
            ['at', bj(e.at, true)],
          ]),
          hdr ? h('div', null, h('div', { class: 'meta' }, 'request headers'), hdr) : null),
        h('div', { class: 'detail-grid' },
          bodyBlock('request body', e.request),
          bodyBlock(`answer (HTTP ${e.status || 'none'})`, e.answer)));
    }

    function row(e, fresh) {
      const tr = h('tr', {
        class: ['row', fresh ? 'fresh' : '', openSeqs.has(e.seq) ? 'open' : ''], data: { seq: e.seq, outcome: e.outcome, provider: e.provider || '' },
        onclick: () => {
          if (openSeqs.has(e.seq)) {
            openSeqs.delete(e.seq);
            tr.classList.remove('open');
            if (tr.nextSibling && tr.nextSibling.dataset.detailOf === String(e.seq)) tr.nextSibling.remove();
          } else {
            openSeqs.add(e.seq);
            tr.classList.add('open');
            tr.after(h('tr', { class: 'detail-row', data: { detailOf: e.seq } }, detail(e)));
          }
        },
      },
      h('td', { class: 'mono' }, e.seq),
      h('td', { class: 'nowrap mono' }, bj(e.at)),
      h('td', null, e.provider || '—'),
      h('td', null, h('div', { class: 'clip' }, h('code', null, e.method + ' ' + e.path), e.operation ? h('span', { class: 'meta' }, ' ' + e.operation) : null),
        e.proxy_host ? h('div', { class: 'via meta', title: 'came through proxy mode, addressed to ' + e.proxy_host }, 'via proxy ', h('code', null, e.proxy_host)) : null,
        e.diagnostic ? h('div', { class: 'diag clip', title: e.diagnostic }, e.diagnostic) : null),
      h('td', null, e.merchant ? h('div', { class: 'mono' }, e.merchant) : null, (e.ids || []).length ? h('div', { class: 'meta mono' }, e.ids.join(' ')) : null),
      h('td', null, e.verify ? badge(e.verify.split(':')[0], e.verify === 'ok' ? 'ok' : (e.verify.startsWith('not') ? 'closed' : 'bad')) : '—'),
      h('td', null, badge(e.outcome)),
      h('td', { class: 'mono' }, e.status || 'none'),
      h('td', null, e.scenario ? h('code', { title: e.scenario_why || '' }, e.scenario) : '—'),
      h('td', null, e.fault ? h('code', { title: e.fault_from || '' }, e.fault) : '—'),
      h('td', { class: 'nowrap meta' }, took(e.took_ns)));
      return tr;
    }

    async function load() {
      const page = await get('/requests' + query(Object.assign({}, f, { after: loaded ? maxSeq : '', limit })));
      if (loaded && page.held < lastHeld) {
        // The journal was reset: start again.
        lastHeld = page.held;
        entries = [];
        maxSeq = 0;
        loaded = false;
        clear(tbody);
        return load();
      }
      lastHeld = page.held;
      const got = page.requests || [];
      const wasLoaded = loaded;
      loaded = true;
      if (got.length) {
        const frag = document.createDocumentFragment();
        for (const e of got) {
          frag.append(row(e, wasLoaded));
          if (openSeqs.has(e.seq)) frag.append(h('tr', { class: 'detail-row', data: { detailOf: e.seq } }, detail(e)));
        }
        const empty = tbody.querySelector('td.empty');
        if (empty) empty.parentNode.remove();
        tbody.prepend(frag);
        entries = got.concat(entries);
        maxSeq = Math.max(maxSeq, ...got.map((e) => e.seq));
        const max = Number(limit);
        while (entries.length > max) {
          const old = entries.pop();
          const tr = tbody.querySelector(`tr[data-seq="${old.seq}"]`);
          if (tr) {
            if (tr.nextSibling && tr.nextSibling.dataset && tr.nextSibling.dataset.detailOf) tr.nextSibling.remove();
            tr.remove();
          }
        }
      } else if (!entries.length && !tbody.querySelector('td.empty')) {
        tbody.append(h('tr', null, h('td', { class: 'empty', colspan: 11 }, 'No request journaled yet' + (Object.values(f).some(Boolean) ? ' that matches.' : '.'))));
      }
      summary.textContent = `${entries.length} shown, newest first · the journal holds ${page.held} of ${page.size}` +
        (page.dropped ? `, ${page.dropped} dropped` : '') + ' · click a request for its diagnostic, headers and bodies';
    }

    const poll = poller(load);
    return poll;
  }

  // ---------------------------------------------------------------- Notifications

  const NOTIFY_STATES = ['pending', 'in_flight', 'acked', 'failed', 'refused', 'abandoned'];

  function notificationsPage(main) {
    const params = new URLSearchParams(location.search);
    const f = { provider: params.get('provider') || '', order: params.get('order') || '', state: params.get('state') || '' };
    const openIds = new Set();
    let lastSig = '';

    const form = h('form', { class: 'filters', onsubmit: (ev) => { ev.preventDefault(); apply(); }, onchange: () => apply() },
      select('provider', 'provider', providerOptions(), f.provider),
      input('order', 'order (payment\'s or refund\'s id)', f.order, { placeholder: 'any', size: 22 }),
      select('state', 'state', [['', 'any state']].concat(NOTIFY_STATES.map((x) => [x, x])), f.state),
      h('button', { type: 'submit' }, 'filter'),
      h('span', { class: 'live' }, 'live'));
    const summary = h('div', { class: 'meta' });
    const tbody = h('tbody');
    main.append(h('h1', null, 'Notifications'), h('div', { class: 'panel' }, form, summary), h('table', { class: 'list', id: 'notifications' },
      h('thead', null, h('tr', null, ['created', 'provider', 'of', 'order', 'to', 'state', 'attempts', 'next attempt', ''].map((t) => h('th', { class: 'nowrap' }, t)))),
      tbody));

    function apply() {
      Object.assign(f, formValues(form));
      setQuery(f);
      lastSig = '';
      poll.now();
    }

    async function redeliver(n, btn) {
      btn.disabled = true;
      try {
        await post('/notifications/' + encodeURIComponent(n.id) + '/redeliver', {});
        notice(`Redelivering notification ${n.id} of ${n.order}: one extra attempt now; its answer appears in the attempts`, 'ok');
      } catch (e) {
        failed(e);
      } finally {
        btn.disabled = false;
        poll.now();
      }
    }

    function attemptsTable(n) {
      if (!n.attempts || !n.attempts.length) return h('div', { class: 'meta' }, 'no attempt yet');
      return h('table', { class: 'history' },
        h('thead', null, h('tr', null, ['#', 'at (Beijing)', 'HTTP', 'acknowledged', 'the receiver answered', 'why it did not count', 'took', ''].map((t) => h('th', null, t)))),
        h('tbody', null, n.attempts.map((a) => h('tr', null,
          h('td', null, a.n),
          h('td', { class: 'nowrap mono' }, bj(a.at)),
          h('td', { class: 'mono' }, a.status || '—'),
          h('td', null, a.acked ? badge('yes', 'ok') : badge('no', 'bad')),
          h('td', null, a.reply ? h('code', null, a.reply) : '—'),
          h('td', null, a.why || ''),
          h('td', { class: 'nowrap meta' }, took(a.duration_ns)),
          h('td', { class: 'meta' }, a.manual ? 'redelivery' : '')))));
    }

    function detail(n) {
      return h('td', { class: 'detail', colspan: 9 },
        n.why ? h('div', { class: 'diag' }, n.why) : null,
        attemptsTable(n),
        h('div', { class: 'detail-grid' },
          bodyBlock('body sent', n.body),
          n.header ? h('div', null, h('div', { class: 'meta' }, 'headers sent'), mapTable(Object.fromEntries(Object.entries(n.header).map(([k, v]) => [k, (v || []).join(', ')])))) : null));
    }

    async function load() {
      const got = await get('/notifications' + query(f));
      const list = (got.notifications || []).slice().sort((a, b) => (parseTime(b.created_at) || 0) - (parseTime(a.created_at) || 0));
      const sig = JSON.stringify([list, [...openIds]]);
      if (sig === lastSig) return;
      lastSig = sig;
      summary.textContent = `${list.length} notification${list.length === 1 ? '' : 's'}, newest first · click one for its attempts and body`;
      clear(tbody);
      if (!list.length) tbody.append(h('tr', null, h('td', { class: 'empty', colspan: 9 }, 'No notification yet. One is sent when a payment, refund or close with a notify URL reaches its final state.')));
      for (const n of list) {
        const open = openIds.has(n.id);
        const btn = h('button', { type: 'button', class: 'secondary', data: { redeliver: n.id }, title: 'one extra attempt now, whatever the state', onclick: (ev) => { ev.stopPropagation(); redeliver(n, btn); } }, 'redeliver');
        tbody.append(h('tr', {
          class: ['row', open ? 'open' : ''], data: { notification: n.id, state: n.state, order: n.order, entity: n.entity ? n.entity.id : '' },
          onclick: () => { toggleSet(openIds, n.id, !open); lastSig = ''; poll.now(); },
        },
        h('td', { class: 'nowrap mono' }, bj(n.created_at)),
        h('td', null, n.provider),
        h('td', null, n.operation, h('div', { class: 'meta mono' }, n.entity ? n.entity.id : '')),
        h('td', null, h('code', null, n.order)),
        h('td', null, h('div', { class: 'clip mono', title: n.url }, n.url)),
        h('td', null, badge(n.state)),
        h('td', { class: 'mono' }, `${(n.attempts || []).length} / ${n.max_attempts}`),
        h('td', { class: 'nowrap mono' }, bj(n.next_attempt_at) || '—'),
        h('td', null, btn)));
        if (open) tbody.append(h('tr', { class: 'detail-row' }, detail(n)));
      }
    }

    const poll = poller(load);
    return poll;
  }

  // ---------------------------------------------------------------- Scenarios and faults

  const FAULTS = ['delay:2s', 'timeout', 'reset', 'empty', 'http:502', 'truncate', 'bad-signature', 'commit-then-reset', 'commit-then-timeout', 'commit-then-empty'];
  const OPERATIONS = ['payment', 'query', 'refund', 'refund_query', 'close', 'close_query', 'reversal', 'terminal'];

  function numberOrNull(v) {
    if (v === '' || v === undefined) return undefined;
    const n = Number(v);
    return Number.isFinite(n) ? n : v;
  }

  function scenariosPage(main) {
    let scenariosSig = '';
    let armedSig = '';
    let faultsSig = '';
    const list = h('div', { id: 'scenario-list' });
    const armed = h('div', { id: 'armed' });
    const faults = h('div', { id: 'faults' });
    const reload = h('div');

    const faultForm = h('form', {
      class: 'form', id: 'fault-form',
      onsubmit: async (ev) => {
        ev.preventDefault();
        const v = formValues(faultForm);
        const body = { fault: v.fault, provider: v.provider, operation: v.operation, times: numberOrNull(v.times), ttl: v.ttl, probability: numberOrNull(v.probability) };
        for (const k of Object.keys(body)) if (body[k] === '' || body[k] === undefined) delete body[k];
        try {
          const got = await post('/faults', body);
          notice(`Armed fault #${got.id} ${got.fault}` + (got.provider ? ` on ${got.provider}` : '') + (got.operation ? ` ${got.operation}` : '') + ` for the next ${got.remaining} matching request${got.remaining === 1 ? '' : 's'}` + (got.expires ? `, until ${bj(got.expires)}` : ''), 'ok');
        } catch (e) {
          failed(e);
        }
        poll.now();
      },
    },
    h('label', null, 'fault', h('input', { name: 'fault', list: 'fault-names', required: true, placeholder: 'commit-then-reset', size: 18, autocomplete: 'off' })),
    h('datalist', { id: 'fault-names' }, FAULTS.map((x) => h('option', { value: x }))),
    select('provider', 'provider', providerOptions()),
    select('operation', 'operation', [['', 'any operation']].concat(OPERATIONS.map((o) => [o, o]))),
    input('times', 'times', '1', { type: 'number', min: 1 }),
    input('ttl', 'ttl', '', { class: 'ttl', placeholder: '10m' }),
    input('probability', 'probability', '', { type: 'number', min: 0, max: 1, step: 0.05, placeholder: '1' }),
    h('button', { type: 'submit' }, 'arm fault'));

    main.append(h('h1', null, 'Scenarios and faults'), h('div', { class: 'cols' },
      h('div', null, h('h2', null, 'Loaded scenarios'), reload, list),
      h('div', null,
        h('h2', null, 'Armed scenarios'), h('div', { class: 'panel' }, armed,
          h('div', { class: 'form' }, h('button', { type: 'button', class: 'danger', id: 'disarm-scenarios', onclick: () => disarm('/scenarios/arm', 'scenarios') }, 'disarm every scenario'))),
        h('h2', null, 'Network faults'), h('div', { class: 'panel' }, faults, faultForm,
          h('div', { class: 'form' }, h('button', { type: 'button', class: 'danger', id: 'disarm-faults', onclick: () => disarm('/faults', 'faults') }, 'disarm every fault'))))));

    async function disarm(path, what) {
      try {
        const got = await del(path, {});
        notice(`Disarmed ${got.disarmed} ${got.disarmed === 1 ? what.replace(/s$/, '') : what}`, 'ok');
      } catch (e) {
        failed(e);
      }
      poll.now();
    }

    async function arm(sc, form) {
      const v = formValues(form);
      const body = { scenario: sc.name };
      if (v.provider) body.provider = v.provider;
      if (v.times !== '') body.times = numberOrNull(v.times);
      if (v.ttl) body.ttl = v.ttl;
      try {
        const got = await post('/scenarios/arm', body);
        notice(`Armed #${got.id} ${got.scenario} for the next ${got.remaining} ${got.operation}${got.remaining === 1 ? '' : 's'}` + (got.provider ? ` on ${got.provider}` : ' on any provider') + (got.expires ? `, until ${bj(got.expires)}` : ''), 'ok');
      } catch (e) {
        failed(e);
      }
      poll.now();
    }

    function scenarioCard(sc) {
      const allowed = sc.providers && sc.providers.length ? sc.providers : providers();
      const form = h('form', { class: 'form', data: { armFor: sc.name }, onsubmit: (ev) => { ev.preventDefault(); arm(sc, form); } },
        select('provider', 'provider', [['', 'any provider']].concat(allowed.map((p) => [p, p]))),
        input('times', 'times', '1', { type: 'number', min: 1 }),
        input('ttl', 'ttl', '', { class: 'ttl', placeholder: 'none' }),
        h('button', { type: 'submit', data: { arm: sc.name } }, `arm for the next ${sc.operation}`));
      return h('section', { class: 'scenario', data: { scenario: sc.name } },
        h('div', { class: 'scenario-head' },
          h('span', { class: 'name' }, sc.name),
          badge(sc.operation, 'closed'),
          sc.default ? badge('default', 'ok') : null,
          sc.when ? h('span', { class: 'meta' }, 'when ', h('code', null, sc.when)) : null,
          h('span', { class: 'meta' }, (sc.providers && sc.providers.length ? sc.providers.join(', ') : 'every provider')),
          h('span', { class: 'meta mono' }, sc.source)),
        sc.description ? h('div', { class: 'desc' }, sc.description) : null,
        sc.reject ? h('div', { class: 'reject' }, 'Refused with ', h('code', null, sc.reject), '; nothing is booked.') : drawMachine(sc, null),
        form);
    }

    function armedTable(rows) {
      if (!rows.length) return h('div', { class: 'meta' }, 'Nothing armed: each operation gets its scenario by header, trigger or default.');
      return h('table', { class: 'list' },
        h('thead', null, h('tr', null, ['#', 'scenario', 'provider', 'operation', 'remaining', 'expires (Beijing)'].map((t) => h('th', null, t)))),
        h('tbody', null, rows.map((a) => h('tr', { data: { armed: a.scenario } },
          h('td', null, a.id), h('td', null, h('code', null, a.scenario)), h('td', null, a.provider || 'any'),
          h('td', null, a.operation), h('td', null, a.remaining), h('td', { class: 'mono' }, bj(a.expires) || 'never')))));
    }

    function faultsTable(got) {
      const rows = got.armed || [];
      return h('div', null,
        rows.length ? h('table', { class: 'list' },
          h('thead', null, h('tr', null, ['#', 'fault', 'provider', 'operation', 'remaining', 'probability', 'expires (Beijing)'].map((t) => h('th', null, t)))),
          h('tbody', null, rows.map((a) => h('tr', { data: { fault: a.fault } },
            h('td', null, a.id), h('td', null, h('code', null, a.fault)), h('td', null, a.provider || 'any'), h('td', null, a.operation || 'any'),
            h('td', null, a.remaining), h('td', null, a.probability ? String(a.probability) : '1'), h('td', { class: 'mono' }, bj(a.expires) || 'never')))))
          : h('div', { class: 'meta' }, 'No fault armed. A request can still ask for one with X-Paysim-Fault.'),
        h('div', { class: 'meta' }, `A timeout holds a connection at most ${got.max_hold}.`));
    }

    async function load() {
      const [sc, fl] = await Promise.all([loadScenarios(0), get('/faults')]);
      const sSig = JSON.stringify([sc.scenarios, sc.reloadable]);
      if (sSig !== scenariosSig) {
        scenariosSig = sSig;
        replace(list, sc.scenarios.length ? sc.scenarios.map(scenarioCard) : h('div', { class: 'empty' }, 'No scenario loaded.'));
        replace(reload, sc.reloadable ? h('div', { class: 'form' }, h('button', {
          type: 'button', class: 'secondary',
          onclick: async () => {
            try {
              const got = await post('/scenarios/reload', {});
              notice(`Reloaded ${got.reloaded} scenarios`, 'ok');
            } catch (e) {
              failed(e);
            }
            poll.now();
          },
        }, 'reload the scenario folder')) : null);
      }
      const aSig = JSON.stringify(sc.armed);
      if (aSig !== armedSig) {
        armedSig = aSig;
        replace(armed, armedTable(sc.armed || []));
      }
      const fSig = JSON.stringify(fl);
      if (fSig !== faultsSig) {
        faultsSig = fSig;
        replace(faults, faultsTable(fl));
      }
    }

    const poll = poller(load);
    return poll;
  }

  // ---------------------------------------------------------------- clock and reset

  const clockNow = document.getElementById('clock-now');
  const clockMode = document.getElementById('clock-mode');
  const moves = document.getElementById('clock-moves');
  const resetBtn = document.getElementById('reset');

  function showClock(c) {
    clockNow.textContent = bj(c.now);
    clockNow.dataset.now = c.now;
    clockMode.textContent = c.mode;
    const virtual = c.mode === 'virtual';
    for (const el of moves.querySelectorAll('button, input')) {
      el.disabled = !virtual;
      if (!virtual) el.title = 'the clock is real: start paysim with --clock virtual to move it';
    }
  }

  async function advance(d) {
    try {
      const c = await post('/clock', { advance: d });
      showClock(c);
      notice(`Clock advanced by ${d}, to ${bj(c.now)} Beijing time`, 'ok');
    } catch (e) {
      failed(e);
    }
    if (page) page.now();
  }

  for (const btn of moves.querySelectorAll('button[data-advance]')) btn.addEventListener('click', () => advance(btn.dataset.advance));
  document.getElementById('advance-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = document.getElementById('advance-input').value.trim();
    if (v) advance(v);
  });

  let resetTimer = null;
  resetBtn.addEventListener('click', async () => {
    if (!resetBtn.classList.contains('armed')) {
      resetBtn.classList.add('armed');
      resetBtn.textContent = 'click again to reset';
      resetTimer = setTimeout(() => { resetBtn.classList.remove('armed'); resetBtn.textContent = 'reset'; }, 4000);
      return;
    }
    clearTimeout(resetTimer);
    resetBtn.classList.remove('armed');
    resetBtn.textContent = 'reset';
    try {
      const got = await post('/reset', {});
      notice(`Reset: ${got.payments_forgotten} payment${got.payments_forgotten === 1 ? '' : 's'} forgotten, the journal emptied, nothing armed, the generator reseeded`, 'ok');
    } catch (e) {
      failed(e);
    }
    route();
  });

  // ---------------------------------------------------------------- router

  const PAGES = { orders: ordersPage, requests: requestsPage, notifications: notificationsPage, scenarios: scenariosPage };
  const TITLES = { orders: 'Orders', requests: 'Requests', notifications: 'Notifications', scenarios: 'Scenarios and faults' };
  const main = document.getElementById('main');
  let page = null;

  function route() {
    let name = location.pathname.startsWith(UIBASE) ? location.pathname.slice(UIBASE.length).replace(/\/+$/, '') : '';
    if (!PAGES[name]) {
      name = 'orders';
      history.replaceState(null, '', UIBASE + name + location.search);
    }
    if (page) page.stop();
    for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === name);
    document.title = `${TITLES[name]} · paysim`;
    document.body.dataset.page = name;
    clear(main);
    page = PAGES[name](main);
  }

  document.addEventListener('click', (ev) => {
    const a = ev.target.closest && ev.target.closest('a[data-nav]');
    if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    ev.preventDefault();
    const url = a.getAttribute('href');
    if (url !== location.pathname + location.search) history.pushState(null, '', url);
    route();
  });
  window.addEventListener('popstate', route);

  poller(async () => showClock(await get('/clock')));
  loadHealth().catch(failed);
  route();
})();
