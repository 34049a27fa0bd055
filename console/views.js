// The pages of the console, built with DOM calls only: every value from the server goes in as
// text (textContent, attributes), never as HTML.

import { STATUSES, formatRome, statusLabel } from './format.js';

/** An element: h('p', { class: 'x', hidden: true }, 'text', child, ...). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined && child !== false) element.append(child);
  }
  return element;
}

let fieldCount = 0;
/** A labelled input (or select/textarea given as `control`). */
export function field(label, control) {
  control.id ||= `field-${++fieldCount}`;
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control);
}

/** A message area that screen readers announce when it changes. */
export function messageArea() {
  return h('p', { class: 'message', role: 'alert' });
}

export function showError(area, error) {
  area.textContent = error?.message ?? String(error);
  area.className = 'message error';
}

export function showNotice(area, text) {
  area.textContent = text;
  area.className = 'message notice';
}

export function heading(text) {
  return h('h1', { tabindex: '-1' }, text);
}

export function statusBadge(status) {
  return h('span', { class: `badge status-${status}` }, statusLabel(status));
}

export function statusSelect(selected, { withAll = false } = {}) {
  const options = withAll ? [['', 'All statuses'], ...STATUSES] : STATUSES;
  return h('select', {}, options.map(([value, label]) => h('option', { value, selected: value === selected }, label)));
}

export function timeElement(iso) {
  return h('time', { datetime: iso }, formatRome(iso));
}

/** The sign-in form; onSubmit(username, password, messageArea). */
export function signInView(onSubmit) {
  const username = h('input', { name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const message = messageArea();
  const form = h(
    'form',
    { class: 'card narrow', 'aria-labelledby': 'sign-in-title' },
    field('Username', username),
    field('Password', password),
    h('button', { type: 'submit' }, 'Sign in'),
    message,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    onSubmit(username.value, password.value, message);
  });
  const title = heading('Sign in');
  title.id = 'sign-in-title';
  return { nodes: [title, form], focus: username };
}

/** One row of a report list, linking to its page. */
export function reportRow(report) {
  return h(
    'li',
    { class: 'report-row' },
    h('a', { href: `#/reports/${report.id}` }, `#${report.id} ${report.title}`),
    ' ',
    statusBadge(report.status),
    h('span', { class: 'meta' }, ' · filed ', timeElement(report.created_at)),
  );
}

/** The details of a report as a description list. */
export function reportDetails(report) {
  const rows = [
    ['Status', statusBadge(report.status)],
    ['Category', report.category ?? '—'],
    ['Filed', timeElement(report.created_at)],
    ['Updated', timeElement(report.updated_at)],
  ];
  if (report.latitude !== null && report.longitude !== null) {
    rows.push(['Location', `${report.latitude}, ${report.longitude}`]);
  }
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'details-title' },
    h('h2', { id: 'details-title' }, 'Details'),
    h('p', { class: 'description' }, report.description),
    h('dl', { class: 'details' }, rows.map(([name, value]) => [h('dt', {}, name), h('dd', {}, value)])),
  );
}

/** One comment; `author` is a name or a user id. */
export function commentItem(comment, author) {
  return h(
    'li',
    { class: 'comment', 'data-comment-id': comment.id },
    h('p', { class: 'meta' }, h('strong', {}, author), ' · ', timeElement(comment.creation_date)),
    h('p', { class: 'comment-text' }, comment.comment),
  );
}
