// The staff console: sign in, then for internal users the report list and report pages with
// live comments; for citizens a form to file a report and their own reports. Hash routes keep
// it static: #/sign-in, #/reports, #/reports/<id>.

import * as api from './api.js';
import { LiveChannel } from './live.js';
import {
  commentItem, field, h, heading, messageArea, reportDetails, reportRow, showError, showNotice,
  signInView, statusSelect,
} from './views.js';

const main = document.getElementById('main');
const liveState = document.getElementById('live-state');
const sessionBar = document.getElementById('session');

let session = api.storedSession();
let live = null; // the LiveChannel of an internal user
let leavePage = () => {}; // undoes what the current page started (e.g. following a report live)
let pageSerial = 0; // which render is current: an answer for a page already left is dropped
let listState = { status: '', cursors: [] }; // the report list's filter and the pages before

const LIVE_STATE_TEXT = {
  connecting: 'Live updates: connecting…',
  connected: 'Live updates: connected',
  reconnecting: 'Live updates: reconnecting…',
  offline: 'Live updates: offline',
};

function showLiveState({ state, detail }) {
  liveState.hidden = false;
  liveState.dataset.state = state;
  liveState.textContent = LIVE_STATE_TEXT[state] + (state === 'offline' && detail ? ` (${detail})` : '');
}

function startSession(current) {
  session = current;
  sessionBar.hidden = false;
  document.getElementById('session-user').textContent =
    `${current.user.username} (${current.user.internal ? 'staff' : current.user.role})`;
  // Citizens never open the live channel: it is for internal users only.
  if (current.user.internal && !live) live = new LiveChannel(current.token, showLiveState);
}

function endSession() {
  leavePage();
  leavePage = () => {};
  live?.close();
  live = null;
  liveState.hidden = true;
  session = null;
  api.forgetSession();
  sessionBar.hidden = true;
  listState = { status: '', cursors: [] };
}

function signOut() {
  endSession();
  navigate('#/sign-in');
}

api.whenUnauthorized(() => {
  endSession();
  navigate('#/sign-in');
});

function navigate(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

/** Replaces the page and moves the focus to its heading (or `focus`), for keyboard and readers. */
function show(nodes, focus) {
  main.replaceChildren(...nodes);
  const target = focus ?? main.querySelector('h1');
  target?.focus();
  document.title = `${main.querySelector('h1')?.textContent ?? 'Console'} · reportd console`;
}

function render() {
  leavePage();
  leavePage = () => {};
  ++pageSerial;
  const route = location.hash.replace(/^#/, '') || '/reports';
  if (!session) {
    renderSignIn();
    return;
  }
  const report = /^\/reports\/(\d+)$/.exec(route);
  if (report) renderReport(Number(report[1]));
  else if (route === '/reports') (session.user.internal ? renderReportList : renderCitizenHome)();
  else navigate('#/reports');
}

function renderSignIn() {
  const view = signInView(async (username, password, message) => {
    message.textContent = '';
    try {
      startSession(await api.signIn(username, password));
      navigate('#/reports');
    } catch (error) {
      showError(message, error.status === 401 ? new Error('Wrong username or password.') : error);
    }
  });
  show(view.nodes, view.focus);
}

async function renderReportList() {
  const filter = statusSelect(listState.status, { withAll: true });
  const list = h('ul', { class: 'reports', 'aria-label': 'Reports' });
  const message = messageArea();
  const previous = h('button', { type: 'button' }, 'Previous page');
  const next = h('button', { type: 'button' }, 'Next page');
  const form = h('form', { class: 'filters' }, field('Status', filter), h('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    listState = { status: filter.value, cursors: [] };
    load();
  });
  previous.addEventListener('click', () => {
    listState.cursors.pop();
    load();
  });
  let nextCursor = null;
  next.addEventListener('click', () => {
    listState.cursors.push(nextCursor);
    load();
  });
  const nav = h('nav', { class: 'pager', 'aria-label': 'Pages' }, previous, next);
  show([heading('Reports'), form, message, list, nav]);

  async function load() {
    try {
      const page = await api.listReports({ status: listState.status, cursor: listState.cursors.at(-1) });
      nextCursor = page.next_cursor;
      list.replaceChildren(...page.items.map(reportRow));
      if (page.items.length === 0) list.append(h('li', {}, 'No reports.'));
      message.textContent = '';
      previous.disabled = listState.cursors.length === 0;
      next.disabled = !nextCursor;
    } catch (error) {
      showError(message, error);
    }
  }
  await load();
}

async function renderCitizenHome() {
  const title = h('input', { name: 'title', required: true, maxlength: 200 });
  const description = h('textarea', { name: 'description', required: true, rows: 4 });
  const category = h('input', { name: 'category' });
  const message = messageArea();
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'new-report-title' },
    h('h2', { id: 'new-report-title' }, 'File a report'),
    field('Title', title),
    field('Description', description),
    field('Category (optional)', category),
    h('button', { type: 'submit' }, 'Send report'),
    message,
  );
  const list = h('ul', { class: 'reports', 'aria-label': 'Your reports' });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const report = await api.createReport({
        title: title.value,
        description: description.value,
        category: category.value || null,
      });
      form.reset();
      showNotice(message, `Report #${report.id} was filed. Thank you.`);
      await loadOwn();
    } catch (error) {
      showError(message, error);
    }
  });
  show([heading('Your reports'), form, h('h2', {}, 'Reports you filed'), list]);

  async function loadOwn() {
    const page = await api.listReports({ limit: 50 });
    list.replaceChildren(...page.items.map(reportRow));
    if (page.items.length === 0) list.append(h('li', {}, 'You have not filed a report yet.'));
  }
  await loadOwn().catch((error) => showError(message, error));
}

async function renderReport(id) {
  const serial = pageSerial;
  const message = messageArea();
  show([h('p', { class: 'back' }, h('a', { href: '#/reports' }, '← All reports')), heading(`Report #${id}`), message]);
  let report;
  try {
    report = await api.getReport(id);
  } catch (error) {
    showError(message, error);
    return;
  }
  if (serial !== pageSerial) return;
  const title = heading(`#${report.id} ${report.title}`);
  const details = reportDetails(report);
  const nodes = [h('p', { class: 'back' }, h('a', { href: '#/reports' }, '← All reports')), title, message, details];
  if (!session.user.internal) {
    show(nodes);
    return;
  }
  const page = internalReportParts(report, details, message);
  show([...nodes, ...page.nodes]);
  leavePage = page.leave;
  await page.start();
}

/** The staff's part of a report page: status control, live comments and the comment box. */
function internalReportParts(report, details, message) {
  let left = false;
  const shown = new Set(); // comment ids on the page: one comes both in an ack and as an event
  let lastCommentId = 0;
  const names = new Map([[session.user.id, `${session.user.username} (you)`]]);
  const comments = h('ol', { class: 'comments', 'aria-label': 'Comments', 'aria-live': 'polite' });
  const viewers = h('p', { class: 'meta viewers' });

  const addComments = (items) => {
    for (const comment of [...items].sort((a, b) => a.id - b.id)) {
      if (shown.has(comment.id)) continue;
      shown.add(comment.id);
      lastCommentId = Math.max(lastCommentId, comment.id);
      const author = names.get(comment.commentOwner_id) ?? `user #${comment.commentOwner_id}`;
      comments.querySelector('.empty')?.remove();
      comments.append(commentItem(comment, author));
    }
  };

  const loadComments = async () => {
    let cursor;
    for (let pages = 0; pages < 50; ++pages) {
      const page = await api.listComments(report.id, cursor);
      addComments(page.items);
      cursor = page.next_cursor;
      if (!cursor) break;
    }
    if (shown.size === 0) comments.append(h('li', { class: 'empty' }, 'No comments yet.'));
  };

  const status = statusSelect(report.status);
  const statusForm = h('form', { class: 'inline' }, field('Status', status), h('button', { type: 'submit' }, 'Update status'));
  statusForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const updated = await api.setReportStatus(report.id, status.value);
      details.replaceWith((details = reportDetails(updated)));
      showNotice(message, 'Status updated.');
    } catch (error) {
      showError(message, error);
    }
  });

  const text = h('textarea', { name: 'comment', required: true, rows: 3 });
  const commentForm = h(
    'form',
    { class: 'card', 'aria-labelledby': 'new-comment-title' },
    h('h2', { id: 'new-comment-title' }, 'Add an internal comment'),
    field('Comment', text),
    h('button', { type: 'submit' }, 'Post comment'),
  );
  commentForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      addComments([await api.postComment(report.id, text.value)]);
      text.value = '';
    } catch (error) {
      showError(message, error);
    }
  });

  return {
    nodes: [
      statusForm,
      h('section', { class: 'card', 'aria-labelledby': 'comments-title' },
        h('h2', { id: 'comments-title' }, 'Internal comments (Rome time)'), viewers, comments),
      commentForm,
    ],
    async start() {
      try {
        await loadComments();
      } catch (error) {
        showError(message, error);
      }
      if (left) return;
      live?.watch(report.id, {
        afterCommentId: () => lastCommentId,
        onComments: (items, more) => {
          addComments(items);
          if (more) loadComments().catch((error) => showError(message, error));
        },
        onViewers: (list) => {
          for (const viewer of list) if (viewer.id !== session.user.id) names.set(viewer.id, viewer.username);
          const others = list.filter((viewer) => viewer.id !== session.user.id).map((viewer) => viewer.username);
          viewers.textContent = others.length ? `Also here: ${others.join(', ')}` : 'Nobody else has this report open.';
        },
        onError: (text) => showError(message, new Error(text)),
      });
    },
    leave() {
      left = true;
      live?.unwatch();
    },
  };
}

document.getElementById('sign-out').addEventListener('click', signOut);
window.addEventListener('hashchange', render);
if (session) startSession(session);
render();
