/* plancli report: the page's script. Plain DOM, no framework; charts by Chart.js (inlined above).
 *
 * Data (script#plancli-data): docs[] (one object per document) and, per record kind, cols[] and
 * rows[][] (rows[i][0] is the document index). Texts: script#tx-N, zlib + base64, unpacked when a
 * document is opened. Routes: #/documents #/targets #/subsidies #/responsibility, #/doc/N and
 * #/doc/N/KIND/I (a record: its span is scrolled to and marked).
 * Views are built when first shown; the filter re-renders the visible one and marks the others stale.
 */
(function () {
  'use strict';

  const D = JSON.parse(document.getElementById('plancli-data').textContent);
  const SPAN_KINDS = ['targets', 'subsidies', 'tasks'];
  const LABEL = {targets: 'target', subsidies: 'subsidy', tasks: 'task', units: 'unit'};
  const PALETTE = ['#2563eb', '#c2410c', '#059669', '#7c3aed', '#db2777', '#ca8a04', '#0891b2', '#4b5563'];
  const collator = new Intl.Collator('zh-Hans-CN', {numeric: true});

  // ---------------------------------------------------------------- helpers
  function h(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === 'class') e.className = v;
        else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v === true ? '' : v);
      }
    }
    for (const k of kids.flat(Infinity)) {
      if (k === null || k === undefined || k === false) continue;
      e.append(k.nodeType ? k : String(k));
    }
    return e;
  }
  /** Replace an element's children (null and false left out, as in h()). */
  function put(el, ...kids) {
    el.replaceChildren(...kids.flat(Infinity).filter(k => k !== null && k !== undefined && k !== false));
    return el;
  }
  const clip = (s, n) => { s = (s || '').replace(/\s+/g, ' '); return s.length > n ? s.slice(0, n - 1) + '…' : s; };
  function num(v) {
    if (v === null || v === undefined) return '';
    if (typeof v !== 'number') return String(v);
    return Math.abs(v) >= 1e4 || Number.isInteger(v) ? v.toLocaleString('en-US', {maximumFractionDigits: 2})
      : String(+v.toPrecision(6));
  }
  function yuan(v) {
    if (v === null || v === undefined) return '';
    if (Math.abs(v) >= 1e8) return num(+(v / 1e8).toPrecision(6)) + ' 亿元';
    if (Math.abs(v) >= 1e4) return num(+(v / 1e4).toPrecision(6)) + ' 万元';
    return num(v) + ' 元';
  }
  function debounce(fn, ms) { let t; return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); }; }

  // ---------------------------------------------------------------- records
  const R = {};
  for (const [kind, t] of Object.entries(D.kinds)) {
    const col = {};
    t.cols.forEach((c, j) => { col[c] = j; });
    R[kind] = {cols: t.cols, rows: t.rows, col};
  }
  function get(kind, i, name) {
    const j = R[kind].col[name];
    if (j === undefined) return null;
    const v = R[kind].rows[i][j];
    return v === undefined ? null : v;
  }
  const docOf = (kind, i) => R[kind].rows[i][0];
  const spanOf = (kind, i) => { const s = get(kind, i, 'span'); return s && s[1] > s[0] ? s : null; };
  const byDoc = D.docs.map(() => ({targets: [], subsidies: [], tasks: [], units: []}));
  for (const kind in R) R[kind].rows.forEach((row, i) => { byDoc[row[0]][kind].push(i); });
  const place = d => D.docs[d].place || '';
  const docTitle = d => D.docs[d].title || D.docs[d].notice_title || D.docs[d].path || `document ${d + 1}`;
  const recHref = (kind, i) => `#/doc/${docOf(kind, i)}/${kind}/${i}`;

  /** Unit names as written in a task, with their canonical name (from the document's units) and role. */
  const canonMaps = new Map();
  function canonical(d, name) {
    if (!canonMaps.has(d)) {
      const m = new Map();
      for (const u of byDoc[d].units) {
        const c = get('units', u, 'canonical') || get('units', u, 'name');
        m.set(get('units', u, 'name'), c);
        for (const a of get('units', u, 'aliases') || []) m.set(a, c);
      }
      canonMaps.set(d, m);
    }
    return canonMaps.get(d).get(name) || name;
  }
  function taskUnits(i) {
    const d = docOf('tasks', i), out = new Map();
    const add = (names, role) => { for (const n of names || []) { const c = canonical(d, n); if (!out.has(c)) out.set(c, role); } };
    add(get('tasks', i, 'responsible.lead'), 'lead');
    add(get('tasks', i, 'responsible.support'), 'support');
    add(get('tasks', i, 'units'), 'named');
    return out;
  }

  // ---------------------------------------------------------------- filter
  let terms = [];
  const docKeys = D.docs.map(d => [d.place, d.title, d.notice_title, d.issuer, d.path, d.kind, d.number]
    .filter(Boolean).join(' ').toLowerCase());
  const KEY_FIELDS = {
    targets: ['indicator', 'indicator_id', 'unit', 'text', 'year'],
    subsidies: ['form', 'recipient', 'text', 'amount_text', 'currency'],
    tasks: ['marker', 'title', 'units', 'responsible.lead', 'responsible.support', 'keywords'],
    units: ['name', 'canonical', 'aliases'],
  };
  const recKeys = {};
  function recKey(kind, i) {
    const cache = recKeys[kind] || (recKeys[kind] = []);
    if (cache[i] === undefined) {
      const parts = [docKeys[docOf(kind, i)]];
      for (const f of KEY_FIELDS[kind]) { const v = get(kind, i, f); if (v !== null) parts.push(Array.isArray(v) ? v.join(' ') : v); }
      cache[i] = parts.join(' ').toLowerCase();
    }
    return cache[i];
  }
  const hit = key => terms.every(t => key.includes(t));
  const recMatch = (kind, i) => !terms.length || hit(recKey(kind, i));
  const docMatch = d => !terms.length || hit(docKeys[d]);

  // ---------------------------------------------------------------- sortable, filterable tables
  class Table {
    /** columns: [{name, value(row) for sorting and text, cell(row) -> node (optional), num, cls}] */
    constructor(columns, opts = {}) {
      this.columns = columns;
      this.onRow = opts.onRow;
      this.href = opts.href;
      this.limit = opts.limit || 200;
      this.sort = opts.sort || null;
      this.rows = [];
      this.el = h('div', {class: 'table-wrap'});
    }
    setRows(rows) { this.rows = rows; this.shown = this.limit; this.render(); }
    sorted() {
      if (!this.sort) return this.rows;
      const c = this.columns[this.sort.col], dir = this.sort.dir;
      const keyed = this.rows.map(r => [c.value(r), r]);
      keyed.sort((a, b) => {
        const x = a[0], y = b[0];
        const xe = x === null || x === undefined || x === '', ye = y === null || y === undefined || y === '';
        if (xe || ye) return xe - ye; // empty cells last, whichever the direction
        return dir * (typeof x === 'number' && typeof y === 'number' ? x - y : collator.compare(String(x), String(y)));
      });
      return keyed.map(k => k[1]);
    }
    render() {
      const rows = this.sorted();
      const head = h('tr', null, this.columns.map((c, j) => h('th', {
        class: c.num ? 'num' : null, title: 'sort',
        'aria-sort': this.sort && this.sort.col === j ? (this.sort.dir > 0 ? 'ascending' : 'descending') : null,
        onclick: () => {
          const same = this.sort && this.sort.col === j;
          this.sort = {col: j, dir: same ? -this.sort.dir : (c.num ? -1 : 1)};
          this.render();
        },
      }, c.name)));
      const body = h('tbody');
      for (const r of rows.slice(0, this.shown)) {
        const tr = h('tr', {'data-row': r}, this.columns.map(c => h('td', {class: c.cls || (c.num ? 'num' : null)},
          c.cell ? c.cell(r) : (c.fmt ? c.fmt(c.value(r)) : num(c.value(r))))));
        if (this.href) {
          tr.classList.add('link');
          tr.addEventListener('click', ev => { if (!ev.target.closest('a')) location.hash = this.href(r); });
        }
        body.append(tr);
      }
      const more = rows.length > this.shown
        ? h('button', {class: 'more', onclick: () => { this.shown = rows.length; this.render(); }},
          `show all ${rows.length} rows (${rows.length - this.shown} more)`) : null;
      put(this.el, h('table', null, h('thead', null, head), body), more,
        rows.length ? null : h('p', {class: 'empty'}, terms.length ? 'nothing matches the filter' : 'none'));
    }
  }
  const docLink = d => h('a', {href: `#/doc/${d}`, title: D.docs[d].path || ''}, clip(docTitle(d), 36));
  const placeCol = kind => ({name: 'place', value: r => place(docOf(kind, r))});
  const docCol = kind => ({name: 'document', value: r => docTitle(docOf(kind, r)), cell: r => docLink(docOf(kind, r)), cls: 'title'});

  // ---------------------------------------------------------------- charts
  function baseChart(canvas, config) {
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.animation = false;
    config.options = Object.assign({responsive: true, maintainAspectRatio: false, animation: false,
      onHover: (ev, els) => { ev.native.target.style.cursor = els.length ? 'pointer' : 'default'; },
      onClick: (ev, els, chart) => {
        if (!els.length) return;
        const p = chart.data.datasets[els[0].datasetIndex].data[els[0].index];
        if (p && p.href) location.hash = p.href;
      }}, config.options);
    return new Chart(canvas, config);
  }
  function byLabel(points, labelOf) {
    const groups = new Map();
    for (const p of points) { const k = labelOf(p); if (!groups.has(k)) groups.set(k, []); groups.get(k).push(p); }
    return [...groups].sort((a, b) => b[1].length - a[1].length);
  }

  // ---------------------------------------------------------------- overview: documents
  const STATUS_RANK = d => (D.docs[d].error ? 0 : D.docs[d].warnings.length ? 1 : 2);
  function documentsView() {
    const order = D.docs.map((_, d) => d).sort((a, b) => STATUS_RANK(a) - STATUS_RANK(b) || a - b);
    const table = new Table([
      {name: 'status', value: d => STATUS_RANK(d), cell: d => status(d)},
      {name: 'place', value: d => place(d)},
      {name: 'title', value: d => docTitle(d), cell: d => docLink(d), cls: 'title'},
      {name: 'kind', value: d => D.docs[d].kind},
      {name: 'issued', value: d => D.docs[d].issued || D.docs[d].published},
      ...['targets', 'subsidies', 'tasks', 'units'].map(k => ({name: k, num: true, value: d => D.docs[d].n[k]})),
      {name: 'input', value: d => D.docs[d].path, cls: 'clip'},
      {name: 'notes', value: d => (D.docs[d].error ? D.docs[d].error.message : D.docs[d].warnings.join('; ')), cell: d =>
        clip(D.docs[d].error ? D.docs[d].error.message : D.docs[d].warnings.join('; '), 60), cls: 'clip'},
    ], {href: d => `#/doc/${d}`});
    const el = h('section', {class: 'view', id: 'view-documents'},
      h('h2', null, 'Documents'),
      h('p', {class: 'intro'}, 'Failed documents first, then those with warnings (uncertain repairs, text not available, no records). ',
        'Click a row to read the document with its records highlighted.'),
      table.el);
    return {el, refresh: () => table.setRows(order.filter(docMatch))};
  }
  function status(d) {
    const doc = D.docs[d];
    if (doc.error) return h('span', {class: 'badge failed', title: doc.error.message}, 'failed: ' + doc.error.kind);
    if (doc.warnings.length) return h('span', {class: 'badge warn', title: doc.warnings.join('\n')}, `⚠ ${doc.warnings.length}`);
    return h('span', {class: 'badge ok'}, 'ok');
  }

  // ---------------------------------------------------------------- overview: targets by indicator
  function targetsView() {
    const groups = new Map();
    R.targets.rows.forEach((row, i) => {
      const id = get('targets', i, 'indicator_id') || '';
      if (!groups.has(id)) groups.set(id, []);
      groups.get(id).push(i);
    });
    const list = [...groups].map(([id, rows]) => ({id, rows, docs: new Set(rows.map(i => docOf('targets', i))).size}))
      .sort((a, b) => (a.id === '') - (b.id === '') || b.docs - a.docs || b.rows.length - a.rows.length || collator.compare(a.id, b.id));
    const el = h('section', {class: 'view', id: 'view-targets'},
      h('h2', null, 'Targets by indicator'),
      h('p', {class: 'intro'}, 'One group per canonical indicator (indicator_id), largest first; one row per target, with the place of its ',
        'document. The chart shows values by target year, one colour per unit. Click a row or a point to see the target in its text.'));
    list.forEach((g, n) => {
      g.sum = h('summary');
      g.body = h('div', {class: 'group-body'});
      g.el = h('details', {class: 'group', 'data-group': g.id || '(none)'}, g.sum, g.body);
      if (n < 3) g.el.open = true;
      g.el.addEventListener('toggle', () => { if (g.el.open) fill(g); });
      el.append(g.el);
    });
    if (!list.length) el.append(h('p', {class: 'empty'}, 'No targets in these documents.'));
    function fill(g) {
      if (!g.table) {
        g.table = new Table([
          placeCol('targets'), docCol('targets'),
          {name: 'indicator', value: r => get('targets', r, 'indicator'), cls: 'clip'},
          {name: 'cmp', value: r => get('targets', r, 'comparator')},
          {name: 'value', num: true, value: r => get('targets', r, 'value'),
            cell: r => get('targets', r, 'masked') ? 'masked' : num(get('targets', r, 'value'))
              + (get('targets', r, 'value_max') !== null ? '–' + num(get('targets', r, 'value_max')) : '')},
          {name: 'unit', value: r => get('targets', r, 'unit')},
          {name: 'year', num: true, value: r => get('targets', r, 'year'), fmt: v => v === null ? '' : String(v)},
          {name: 'baseline', num: true, value: r => get('targets', r, 'baseline.value'),
            cell: r => get('targets', r, 'baseline.value') === null ? '' : num(get('targets', r, 'baseline.value'))
              + (get('targets', r, 'baseline.year') ? ` (${get('targets', r, 'baseline.year')})` : '')},
          {name: 'text', value: r => get('targets', r, 'text'), cell: r => clip(get('targets', r, 'text'), 80), cls: 'clip'},
        ], {href: r => recHref('targets', r), limit: 100});
        g.canvas = h('canvas', {'aria-label': `values of ${g.id || 'targets without an indicator id'} by year`});
        g.note = h('div', {class: 'chart-note'});
        g.body.append(h('div', {class: 'chart'}, g.canvas), g.note, g.table.el);
      }
      g.table.setRows(g.shown);
      const points = [];
      for (const r of g.shown) {
        const x = get('targets', r, 'year'), y = get('targets', r, 'value');
        if (x === null || y === null || get('targets', r, 'masked')) continue;
        points.push({x, y, r, href: recHref('targets', r), unit: get('targets', r, 'unit') || '(no unit)'});
      }
      const datasets = byLabel(points, p => p.unit).map(([unit, data], k) => ({
        label: unit, data, backgroundColor: PALETTE[k % PALETTE.length], borderColor: PALETTE[k % PALETTE.length],
        pointRadius: 4, pointHoverRadius: 7}));
      g.note.textContent = `${points.length} of ${g.shown.length} targets on the chart (the others have no year or no value)`;
      if (!g.chart) {
        const years = points.map(p => p.x);
        const span = years.length ? {suggestedMin: Math.min(...years) - 1, suggestedMax: Math.max(...years) + 1} : {};
        g.chart = baseChart(g.canvas, {type: 'scatter', data: {datasets}, options: {
          scales: {
            x: {type: 'linear', title: {display: true, text: 'year'}, ...span, ticks: {stepSize: 1, callback: v => Number.isInteger(v) ? String(v) : ''}},
            y: {title: {display: true, text: 'value'}, ticks: {callback: v => num(v)}}},
          plugins: {tooltip: {callbacks: {label: c => `${place(docOf('targets', c.raw.r)) || '—'}: ${num(c.raw.y)} ${c.raw.unit} (${c.raw.x})`}}}}});
      } else {
        g.chart.data.datasets = datasets;
        g.chart.update('none');
      }
    }
    function refresh() {
      for (const g of list) {
        g.shown = g.rows.filter(r => recMatch('targets', r));
        g.el.hidden = !g.shown.length;
        const names = byLabel(g.shown, r => get('targets', r, 'indicator') || '').slice(0, 3).map(x => x[0]).filter(Boolean);
        const docs = new Set(g.shown.map(r => docOf('targets', r))).size;
        put(g.sum, h('code', null, g.id || '(no canonical indicator)'), ' ',
          h('span', {class: 'muted'}, clip(names.join(' · '), 80)), ' — ',
          `${docs} document${docs === 1 ? '' : 's'}, ${g.shown.length} target${g.shown.length === 1 ? '' : 's'}`,
          g.shown.length < g.rows.length ? h('span', {class: 'muted'}, ` (of ${g.rows.length})`) : null);
        if (g.el.open && g.shown.length) fill(g);
      }
    }
    return {el, refresh};
  }

  // ---------------------------------------------------------------- overview: subsidies by form
  function subsidiesView() {
    const all = R.subsidies.rows.map((_, i) => i);
    const formOf = r => get('subsidies', r, 'form') || '(no form)';
    const forms = byLabel(all, formOf).map(x => x[0]);
    const formIndex = new Map(forms.map((f, k) => [f, k]));
    const table = new Table([
      {name: 'form', value: r => formOf(r)},
      placeCol('subsidies'), docCol('subsidies'),
      {name: 'amount', num: true, value: r => get('subsidies', r, 'amount'),
        cell: r => h('span', {title: num(get('subsidies', r, 'amount')) + ' ' + (get('subsidies', r, 'currency') || '')},
          get('subsidies', r, 'currency') && get('subsidies', r, 'currency') !== 'CNY'
            ? num(get('subsidies', r, 'amount')) + ' ' + get('subsidies', r, 'currency') : yuan(get('subsidies', r, 'amount')))},
      {name: 'cap', value: r => (get('subsidies', r, 'cap') ? 'up to' : ''), fmt: v => v},
      {name: 'share', num: true, value: r => get('subsidies', r, 'ratio'), fmt: v => (v === null ? '' : num(+(v * 100).toPrecision(4)) + ' %')},
      {name: 'once', value: r => ({true: 'once', false: 'yearly'})[get('subsidies', r, 'once')] || '', fmt: v => v},
      {name: 'recipient', value: r => get('subsidies', r, 'recipient'), cell: r => clip(get('subsidies', r, 'recipient'), 40), cls: 'clip'},
      {name: 'text', value: r => get('subsidies', r, 'text'), cell: r => clip(get('subsidies', r, 'text'), 80), cls: 'clip'},
    ], {href: r => recHref('subsidies', r), sort: {col: 0, dir: 1}});
    const canvas = h('canvas', {'aria-label': 'subsidy amounts by form'});
    const note = h('div', {class: 'chart-note'});
    const el = h('section', {class: 'view', id: 'view-subsidies'},
      h('h2', null, 'Subsidies by form'),
      h('p', {class: 'intro'}, 'Each point is one subsidy: its amount in yuan (log scale) by form (补贴, 奖励, 支持 …); "up to" amounts are caps. ',
        'Click a point or a row to see the clause.'),
      all.length ? [h('div', {class: 'chart big'}, canvas), note] : h('p', {class: 'empty'}, 'No subsidies in these documents.'),
      table.el);
    let chart = null;
    function refresh() {
      const shown = all.filter(r => recMatch('subsidies', r));
      table.setRows(shown);
      if (!all.length) return;
      const pts = {cap: [], fixed: []};
      for (const r of shown) {
        const y = get('subsidies', r, 'amount');
        if (y === null || y <= 0) continue;
        const jitter = ((r * 2654435761) % 1000) / 1000 - 0.5;
        pts[get('subsidies', r, 'cap') ? 'cap' : 'fixed'].push({x: formIndex.get(formOf(r)) + jitter * 0.5, y, r, href: recHref('subsidies', r)});
      }
      note.textContent = `${pts.cap.length + pts.fixed.length} of ${shown.length} subsidies on the chart (the others state a share or no amount)`;
      const datasets = [
        {label: 'amount', data: pts.fixed, backgroundColor: '#2563eb', pointRadius: 4, pointHoverRadius: 7},
        {label: 'up to (cap)', data: pts.cap, backgroundColor: '#c2410c', pointStyle: 'triangle', pointRadius: 5, pointHoverRadius: 8}];
      if (chart) { chart.data.datasets = datasets; chart.update('none'); return; }
      chart = baseChart(canvas, {type: 'scatter', data: {datasets}, options: {
        scales: {
          x: {type: 'linear', min: -0.5, max: Math.max(forms.length - 0.5, 0.5), title: {display: true, text: 'form'},
            afterBuildTicks: axis => { axis.ticks = forms.map((_, k) => ({value: k})); },
            ticks: {autoSkip: false, callback: v => forms[v] || ''}, grid: {display: false}},
          y: {type: 'logarithmic', title: {display: true, text: 'amount (yuan)'}, ticks: {callback: v => {
            const e = Math.log10(v); return Number.isInteger(Math.round(e * 1e6) / 1e6) ? yuan(v) : ''; }}}},
        plugins: {tooltip: {callbacks: {label: c => {
          const r = c.raw.r;
          return `${place(docOf('subsidies', r)) || '—'}: ${get('subsidies', r, 'cap') ? 'up to ' : ''}${yuan(c.raw.y)} ${formOf(r)}`
            + (get('subsidies', r, 'recipient') ? ` → ${clip(get('subsidies', r, 'recipient'), 30)}` : '');
        }}}}}});
    }
    return {el, refresh};
  }

  // ---------------------------------------------------------------- overview: responsibility totals
  function responsibilityView() {
    const units = new Map(); // canonical -> {lead, support, named, docs: Map(doc -> first task), places}
    R.tasks.rows.forEach((_, i) => {
      const d = docOf('tasks', i);
      for (const [name, role] of taskUnits(i)) {
        if (!units.has(name)) units.set(name, {name, lead: 0, support: 0, named: 0, tasks: [], docs: new Map()});
        const u = units.get(name);
        u[role] += 1;
        u.tasks.push(i);
        if (!u.docs.has(d)) u.docs.set(d, i);
      }
    });
    const list = [...units.values()];
    const table = new Table([
      {name: 'unit', value: u => u.name},
      {name: 'lead', num: true, value: u => u.lead},
      {name: 'support', num: true, value: u => u.support},
      {name: 'named, role not stated', num: true, value: u => u.named},
      {name: 'documents', num: true, value: u => u.docs.size},
      {name: 'places', value: u => [...new Set([...u.docs.keys()].map(place).filter(Boolean))].join('、'), cls: 'clip'},
      {name: 'tasks', value: u => u.tasks.length, cell: u => [...u.docs].slice(0, 4).map(([d, i], k) =>
        [k ? ' · ' : '', h('a', {href: recHref('tasks', i)}, clip(place(d) || docTitle(d), 14))]).concat(u.docs.size > 4 ? ' …' : [])},
    ], {href: u => recHref('tasks', u.tasks[0]), sort: {col: 4, dir: -1}});
    const el = h('section', {class: 'view', id: 'view-responsibility'},
      h('h2', null, 'Responsibility: units across documents'),
      h('p', {class: 'intro'}, 'How many tasks each unit leads (牵头) or supports (配合), summed over the documents; "named" counts tasks that ',
        'name the unit without saying which. Units are keyed by the name the documents give them, so the 市科技局 of two cities share a row ',
        '(see the places column). A row opens the first such task; each document\'s own matrix of units × tasks is in its view.'),
      list.length ? null : h('p', {class: 'empty'}, 'No tasks with responsible units in these documents.'),
      table.el);
    const match = u => !terms.length || u.tasks.some(i => recMatch('tasks', i)) || hit(u.name.toLowerCase());
    return {el, refresh: () => table.setRows(list.filter(match))};
  }

  // ---------------------------------------------------------------- the document view
  const texts = new Map();
  async function textOf(d) {
    if (texts.has(d)) return texts.get(d);
    const node = document.getElementById('tx-' + d);
    if (!node || !D.docs[d].text) return null;
    if (typeof DecompressionStream === 'undefined') throw new Error('this browser cannot unpack the text (it needs DecompressionStream)');
    const bin = atob(node.textContent.trim());
    const bytes = new Uint8Array(bin.length);
    for (let k = 0; k < bin.length; k++) bytes[k] = bin.charCodeAt(k);
    const text = await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'))).text();
    texts.set(d, text);
    if (texts.size > 6) texts.delete(texts.keys().next().value);
    return text;
  }
  /** Spans count code points (as Python does); JavaScript strings count UTF-16 units. */
  function unitOffsets(text) {
    if (!/[\uD800-\uDFFF]/.test(text)) return null;
    const map = [];
    let at = 0;
    for (const ch of text) { map.push(at); at += ch.length; }
    map.push(at);
    return map;
  }
  const KIND_DEPTH = {tasks: 0, subsidies: 1, targets: 2}; // equal spans: tasks outside, targets inside

  /** The text with one <mark> per record (continued in pieces where spans cross). */
  function highlighted(text, recs) {
    const map = unitOffsets(text);
    const at = cp => (map ? map[Math.min(cp, map.length - 1)] : cp);
    recs = recs.map(r => ({...r, s: at(r.span[0]), e: at(r.span[1])})).filter(r => r.e > r.s && r.e <= text.length);
    const bounds = new Set([0, text.length]);
    for (const r of recs) { bounds.add(r.s); bounds.add(r.e); }
    const points = [...bounds].sort((a, b) => a - b);
    const starts = new Map();
    for (const r of recs) { if (!starts.has(r.s)) starts.set(r.s, []); starts.get(r.s).push(r); }
    const outerFirst = (a, b) => b.e - a.e || KIND_DEPTH[a.kind] - KIND_DEPTH[b.kind] || a.i - b.i;
    const root = document.createDocumentFragment();
    let stack = []; // [{r, el}]
    const top = () => (stack.length ? stack[stack.length - 1].el : root);
    const open = (r, cont) => {
      const el = h('mark', {class: `hl k-${r.kind}${cont ? ' cont' : ''}`, 'data-k': r.kind, 'data-i': r.i});
      top().append(el);
      stack.push({r, el});
    };
    for (let p = 0; p < points.length - 1; p++) {
      const a = points[p], b = points[p + 1];
      const low = stack.findIndex(x => x.r.e <= a);
      const reopen = [];
      if (low >= 0) {
        for (const x of stack.splice(low)) if (x.r.e > a) reopen.push({r: x.r, cont: true});
      }
      const fresh = (starts.get(a) || []).map(r => ({r, cont: false}));
      for (const x of reopen.concat(fresh).sort((x, y) => outerFirst(x.r, y.r))) open(x.r, x.cont);
      top().append(text.slice(a, b));
    }
    return root;
  }

  let current = null; // {d, view: {el, text, marks}}
  async function documentView(d, focus) {
    if (!current || current.d !== d) {
      current = {d, view: buildDocument(d)};
      put(app, current.view.el);
      await current.view.ready;
      if (!current || current.d !== d) return;
    } else if (!app.contains(current.view.el)) {
      put(app, current.view.el);
    }
    document.body.dataset.view = 'doc:' + d;
    if (focus) select(focus.kind, focus.i, true);
    else window.scrollTo(0, 0);
  }

  function buildDocument(d) {
    const doc = D.docs[d];
    const textBox = h('div', {class: 'text', id: 'text', lang: doc.lang === 'en' ? 'en' : 'zh-Hans'});
    const side = h('aside', {class: 'side'});
    const matrix = h('section', {class: 'matrix'});
    const nav = h('div', {class: 'doc-nav'},
      d > 0 ? h('a', {href: `#/doc/${d - 1}`}, '← previous') : null,
      h('a', {href: '#/' + lastTab}, 'overview'),
      d < D.docs.length - 1 ? h('a', {href: `#/doc/${d + 1}`}, 'next →') : null);
    const el = h('section', {class: 'view', id: 'view-doc', 'data-doc': d},
      h('div', {class: 'doc-head'}, h('h2', null, docTitle(d)), h('span', {class: 'muted'}, [place(d), doc.kind, doc.issuer].filter(Boolean).join(' · ')), status(d), nav),
      h('div', {class: 'legend'}, SPAN_KINDS.map(k => [h('span', {class: 'chip k-' + k}, LABEL[k]), ' ', byDoc[d][k].length, '  ']),
        ' — hover a highlight for its fields, click to keep them open.'),
      h('div', {class: 'doc-grid'}, textBox, side), matrix);

    // side: where it came from, warnings, repairs, records
    const files = h('dl', null,
      h('dt', null, 'input'), h('dd', null, doc.href ? h('a', {href: doc.href}, doc.path) : (doc.path || '—')),
      doc.result ? [h('dt', null, 'result'), h('dd', null, doc.result_href ? h('a', {href: doc.result_href}, doc.result) : doc.result)] : null,
      [['number', doc.number], ['issued', doc.issued], ['published', doc.published],
        ['period', doc.period && doc.period[0] ? doc.period.filter(Boolean).join('–') : null],
        ['read as', [doc.format, doc.encoding, doc.script].filter(Boolean).join(', ')]]
        .filter(x => x[1]).map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
    side.append(files);
    const notes = [];
    if (doc.error) notes.push(h('li', {class: 'bad'}, `${doc.error.kind}: ${doc.error.message}`));
    for (const w of doc.warnings) notes.push(h('li', {class: 'warn'}, w));
    if (notes.length) side.append(h('h3', null, 'Warnings'), h('ul', {class: 'notes'}, notes));
    if (doc.repairs.length) {
      side.append(h('h3', null, 'Repairs'), h('ul', {class: 'notes'}, doc.repairs.map(([kind, count, ex]) =>
        h('li', {title: ex.join('\n')}, h('code', null, kind), ` ×${count}`, ex.length ? h('div', {class: 'muted'}, clip(ex.slice(0, 2).join('; '), 90)) : null))));
    }
    const listItems = [];
    for (const kind of [...SPAN_KINDS]) {
      const recs = byDoc[d][kind];
      if (!recs.length) continue;
      side.append(h('h3', null, `${kind} (${recs.length})`));
      const ul = h('ul');
      for (const i of recs) {
        const li = h('li', {class: `rec k-${kind}${spanOf(kind, i) ? '' : ' nospan'}`, 'data-k': kind, 'data-i': i,
          onclick: () => { location.hash = recHref(kind, i); }}, summaryOf(kind, i));
        listItems.push([kind, i, li]);
        ul.append(li);
      }
      side.append(ul);
    }
    if (byDoc[d].units.length) {
      side.append(h('h3', null, `units (${byDoc[d].units.length})`), h('ul', null, byDoc[d].units.map(u =>
        h('li', {class: 'rec', 'data-k': 'units', 'data-i': u}, h('span', {class: 'chip k-units'}, 'unit'), ' ',
          get('units', u, 'canonical') || get('units', u, 'name'),
          h('span', {class: 'muted'}, ` ×${get('units', u, 'mentions') || 0}`)))));
    }

    matrix.append(responsibilityMatrix(d));

    const view = {el, textBox, listItems, ready: null};
    view.ready = (async () => {
      if (doc.error) { textBox.append(h('p', {class: 'empty'}, 'This document failed: ' + doc.error.message)); return; }
      let text = null;
      try { text = await textOf(d); } catch (err) { textBox.append(h('p', {class: 'empty'}, String(err.message || err))); return; }
      if (text === null) {
        textBox.append(h('p', {class: 'empty'}, 'The text is not in this report' + (doc.warnings.length ? ': ' + doc.warnings[0] : '.')
          + ' The records are listed on the right.'));
        return;
      }
      const recs = [];
      for (const kind of SPAN_KINDS) for (const i of byDoc[d][kind]) { const span = spanOf(kind, i); if (span) recs.push({kind, i, span}); }
      view.text = text;
      textBox.append(highlighted(text, recs));
    })();
    textBox.addEventListener('mouseover', ev => {
      const m = ev.target.closest('mark.hl');
      if (m && !pinned) showPop(m.dataset.k, +m.dataset.i, m, false);
    });
    textBox.addEventListener('mouseout', ev => {
      if (!pinned && ev.target.closest('mark.hl') && !(ev.relatedTarget && ev.relatedTarget.closest && ev.relatedTarget.closest('mark.hl'))) hidePop();
    });
    textBox.addEventListener('click', ev => {
      const m = ev.target.closest('mark.hl');
      if (m) { history.replaceState(null, '', recHref(m.dataset.k, +m.dataset.i)); select(m.dataset.k, +m.dataset.i, false); }
    });
    side.addEventListener('filter', () => {
      for (const [kind, i, li] of listItems) li.hidden = !recMatch(kind, i);
    });
    return view;
  }

  function summaryOf(kind, i) {
    const g = name => get(kind, i, name);
    if (kind === 'targets') {
      return [g('indicator') || '(indicator?)', ' ', h('strong', null, g('masked') ? 'masked' : [g('comparator') && g('comparator') !== '=' ? g('comparator') + ' ' : '', num(g('value'))]),
        ' ', g('unit') || '', g('year') ? h('span', {class: 'muted'}, ` (${g('year')})`) : null];
    }
    if (kind === 'subsidies') {
      return [h('strong', null, g('cap') ? 'up to ' : '', g('amount') !== null ? yuan(g('amount')) : g('ratio') !== null ? num(g('ratio') * 100) + ' %' : '?'),
        ' ', g('form') || '', g('recipient') ? h('span', {class: 'muted'}, ' → ' + clip(g('recipient'), 30)) : null];
    }
    return [h('strong', null, g('marker') || ''), ' ', clip(g('title'), 40)];
  }

  function responsibilityMatrix(d) {
    const tasks = byDoc[d].tasks;
    const rows = new Map(); // canonical -> Map(task -> role)
    for (const i of tasks) for (const [name, role] of taskUnits(i)) {
      if (!rows.has(name)) rows.set(name, new Map());
      rows.get(name).set(i, role);
    }
    const wrap = h('div', null, h('h3', null, `Responsibility matrix: ${rows.size} units × ${tasks.length} tasks`));
    if (!rows.size) { wrap.append(h('p', {class: 'empty'}, tasks.length ? 'The tasks name no responsible units.' : 'No tasks in this document.')); return wrap; }
    const order = [...rows].sort((a, b) => b[1].size - a[1].size || collator.compare(a[0], b[0]));
    const short = {lead: 'L', support: 'S', named: '•'};
    const table = h('table', {class: 'matrix'},
      h('thead', null, h('tr', null, h('th', {class: 'unit'}, 'unit \\ task'),
        tasks.map(i => h('th', {title: get('tasks', i, 'title') || '', onclick: () => { location.hash = recHref('tasks', i); }},
          get('tasks', i, 'marker') || '#')),
        h('th', null, 'lead'), h('th', null, 'support'), h('th', null, 'named'))),
      h('tbody', null, order.map(([name, roles]) => {
        const count = role => [...roles.values()].filter(r => r === role).length;
        return h('tr', null, h('td', {class: 'unit'}, name),
          tasks.map(i => { const role = roles.get(i); return h('td', {class: role || null, title: role ? `${role}: ${get('tasks', i, 'title') || ''}` : null}, role ? short[role] : ''); }),
          h('td', null, count('lead')), h('td', null, count('support')), h('td', null, count('named')));
      })));
    wrap.append(h('p', {class: 'legend'}, 'L: lead (牵头) · S: support (配合) · •: named, role not stated. Click a task to see it.'),
      h('div', {class: 'matrix-wrap'}, table));
    return wrap;
  }

  /** Scroll the text to a record, mark it, and show its fields. */
  function select(kind, i, scroll) {
    if (!current) return;
    const view = current.view;
    for (const m of view.textBox.querySelectorAll('mark.current')) m.classList.remove('current');
    for (const [, , li] of view.listItems) li.classList.toggle('current', false);
    const marks = view.textBox.querySelectorAll(`mark[data-k="${kind}"][data-i="${i}"]`);
    for (const m of marks) m.classList.add('current');
    const item = view.listItems.find(([k, j]) => k === kind && j === i);
    if (item) { item[2].classList.add('current'); item[2].scrollIntoView({block: 'nearest'}); }
    if (marks.length && scroll) scrollToMark(view.textBox, marks[0]);
    pinned = true;
    showPop(kind, i, marks[0] || (item && item[2]), true);
  }

  /** Scroll the text panel (not the page) so the mark sits in its middle, and bring the panel into view. */
  function scrollToMark(box, mark) {
    const b = box.getBoundingClientRect(), m = mark.getBoundingClientRect();
    box.scrollTop += m.top - b.top - (box.clientHeight - Math.min(m.height, box.clientHeight)) / 2;
    const header = document.getElementById('top').getBoundingClientRect().height;
    const top = box.getBoundingClientRect().top;
    if (top < header || top > window.innerHeight * 0.5) window.scrollBy(0, top - header - 8);
  }

  // ---------------------------------------------------------------- the pop-up of a record's fields
  const pop = document.getElementById('pop');
  let pinned = false;
  const SKIP = new Set(['doc', 'text', 'span', 'rule', 'id']);
  function showPop(kind, i, anchor, pin) {
    pinned = pin;
    const d = docOf(kind, i);
    const fields = R[kind].cols.filter(c => !SKIP.has(c)).map(c => [c, get(kind, i, c)])
      .filter(([, v]) => v !== null && v !== '' && !(Array.isArray(v) && !v.length));
    let clause = get(kind, i, 'text');
    const span = get(kind, i, 'span');
    if (clause === null && current && current.view.text && span) clause = sliceCodePoints(current.view.text, span[0], span[1]);
    const repairs = D.docs[d].repairs.map(([k, n, ex]) => [k, n, ex.filter(x => {
      const after = x.split(' -> ')[1];
      return after && after.length > 1 && after !== "''" && clause && clause.includes(after);
    })]);
    const here = repairs.filter(r => r[2].length);
    const inside = current && anchor && anchor.closest ? outerRecords(anchor) : [];
    put(pop, 
      pin ? h('button', {class: 'close', title: 'close (Esc)', onclick: () => { pinned = false; hidePop(); }}, '×') : null,
      h('div', null, h('span', {class: 'chip k-' + kind}, LABEL[kind]), ' ', h('code', null, get(kind, i, 'id') || ''), ' · rule ', h('code', null, get(kind, i, 'rule') || '—')),
      h('table', null, h('tbody', null, fields.map(([c, v]) => h('tr', null, h('td', null, c),
        h('td', null, Array.isArray(v) ? v.join('、') : typeof v === 'number' ? num(v) : String(v)))))),
      span ? h('div', {class: 'sub'}, `span ${span[0]}–${span[1]}`) : h('div', {class: 'sub'}, 'no span'),
      clause ? h('div', {class: 'clause'}, clip(clause, 400)) : null,
      h('div', {class: 'sub'}, here.length ? ['repairs in this clause: ', here.map(([k, , ex]) => `${k} (${ex.slice(0, 2).join('; ')})`).join(' · ')]
        : repairs.length ? 'repairs of this document (none seen in this clause): ' + repairs.map(([k, n]) => `${k} ×${n}`).join(', ')
          : 'no repairs in this document'),
      inside.length ? h('div', {class: 'sub'}, 'inside: ', inside.join(' · ')) : null);
    pop.hidden = false;
    place_(anchor);
  }
  function outerRecords(anchor) {
    const out = [];
    for (let m = anchor.parentElement && anchor.parentElement.closest('mark.hl'); m; m = m.parentElement && m.parentElement.closest('mark.hl')) {
      const k = m.dataset.k, i = +m.dataset.i;
      out.push(`${LABEL[k]} ${get(k, i, 'marker') || get(k, i, 'id') || ''} ${clip(get(k, i, 'title') || get(k, i, 'indicator') || '', 20)}`.trim());
    }
    return out;
  }
  function sliceCodePoints(text, s, e) {
    const map = unitOffsets(text);
    return map ? text.slice(map[s], map[e]) : text.slice(s, e);
  }
  function place_(anchor) {
    const r = anchor && anchor.getBoundingClientRect ? anchor.getBoundingClientRect() : {left: 20, bottom: 80, top: 80};
    const w = pop.offsetWidth, hgt = pop.offsetHeight;
    let x = Math.min(Math.max(8, r.left), window.innerWidth - w - 8);
    let y = r.bottom + 6;
    if (y + hgt > window.innerHeight - 8) y = Math.max(8, r.top - hgt - 6);
    pop.style.left = x + 'px';
    pop.style.top = y + 'px';
  }
  function hidePop() { pop.hidden = true; }
  document.addEventListener('keydown', ev => { if (ev.key === 'Escape') { pinned = false; hidePop(); } });
  document.addEventListener('click', ev => {
    if (pinned && !pop.contains(ev.target) && !ev.target.closest('mark.hl, li.rec, tr.link, canvas')) { pinned = false; hidePop(); }
  });

  // ---------------------------------------------------------------- routing and the filter box
  const app = document.getElementById('app');
  const views = {};
  const makers = {documents: documentsView, targets: targetsView, subsidies: subsidiesView, responsibility: responsibilityView};
  let lastTab = 'documents';
  const stale = new Set();

  function showTab(tab) {
    lastTab = tab;
    if (!views[tab]) { views[tab] = makers[tab](); stale.add(tab); }
    put(app, views[tab].el);
    if (stale.has(tab)) { views[tab].refresh(); stale.delete(tab); }
    document.body.dataset.view = tab;
  }
  function route() {
    hidePop();
    pinned = false;
    const parts = decodeURIComponent(location.hash).replace(/^#\/?/, '').split(/[/?&]/);
    for (const a of document.querySelectorAll('#tabs a')) a.classList.toggle('on', a.dataset.tab === parts[0]);
    const n = k => parseInt(parts[k], 10);
    if (parts[0] === 'doc' && D.docs[n(1)]) {
      const focus = parts[2] && R[parts[2]] && R[parts[2]].rows[n(3)] ? {kind: parts[2], i: n(3)} : null;
      documentView(focus ? docOf(focus.kind, focus.i) : n(1), focus).then(applyFilterToDoc);
      return;
    }
    current = null;
    showTab(makers[parts[0]] ? parts[0] : 'documents');
  }
  function applyFilterToDoc() {
    if (current) current.view.el.querySelector('.side').dispatchEvent(new Event('filter'));
  }
  const filterBox = document.getElementById('filter');
  filterBox.addEventListener('input', debounce(() => {
    terms = filterBox.value.toLowerCase().split(/\s+/).filter(Boolean);
    for (const tab in views) stale.add(tab);
    if (current) applyFilterToDoc();
    else if (views[lastTab]) { views[lastTab].refresh(); stale.delete(lastTab); }
  }, 150));

  const total = k => R[k].rows.length;
  const failed = D.docs.filter(d => d.error).length, warned = D.docs.filter(d => !d.error && d.warnings.length).length;
  document.getElementById('stats').textContent = `${D.docs.length} documents` + (failed ? `, ${failed} failed` : '')
    + (warned ? `, ${warned} with warnings` : '') + ` · ${total('targets')} targets · ${total('subsidies')} subsidies · `
    + `${total('tasks')} tasks · ${total('units')} units · plancli ${D.meta.plancli}, ${D.meta.made}`;
  window.addEventListener('hashchange', route);
  route();
  document.documentElement.dataset.ready = '1';
})();
