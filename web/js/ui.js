// Small DOM helpers shared by the pages.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** A table from column specs: {label, value: row => text|Node, num?: bool}. */
export function table(columns, rows, { empty = '—', rowAttrs } = {}) {
  return h('table', {},
    h('thead', {}, h('tr', {}, columns.map(c => h('th', { class: c.num ? 'num' : undefined }, c.label)))),
    h('tbody', {}, rows.length
      ? rows.map(row => h('tr', rowAttrs ? rowAttrs(row) : {},
          columns.map(c => h('td', { class: c.num ? 'num' : undefined }, c.value(row)))))
      : h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, empty))));
}

export function bar(fraction) {
  const pct = Math.max(0, Math.min(1, fraction)) * 100;
  return h('div', { class: 'bar', title: `${pct.toFixed(1)}%` }, h('span', { style: `width:${pct}%` }));
}

export function showError(container, error) {
  container.replaceChildren(h('p', { class: 'error', role: 'alert' }, `${error.message} (${error.code ?? 'error'})`));
}
