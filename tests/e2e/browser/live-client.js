// The client example of spec/websocket-internal.md, run in a browser page. The
// query string gives what the example hard-codes: api (API_BASE_URL), token,
// report (the reportId) and, optionally, transports (comma-separated).
// What happens is recorded in window.live for the test to read.

const params = new URLSearchParams(location.search);
const API_BASE_URL = params.get('api');
const token = params.get('token');
const reportId = Number(params.get('report'));
const transports = params.get('transports');

const live = {
  connected: false,
  joinAck: null,
  transportAfterUpgrade: null,
  comments: [],
  connectErrors: [],
};
window.live = live;

const socket = io(`${API_BASE_URL}/ws/internal`, {
  auth: { token },
  ...(transports ? { transports: transports.split(',') } : {}),
});
window.socket = socket;

// The Manager opens its engine before any upgrade probe starts.
socket.io.on('open', () => {
  socket.io.engine.on('upgrade', () => {
    live.transportAfterUpgrade = socket.io.engine.transport.name;
  });
});

socket.on('connect', () => {
  live.connected = true;
  socket.emit('join_report', { reportId }, (ack) => {
    live.joinAck = ack;
  });
});

socket.on('connect_error', (err) => {
  live.connectErrors.push(err.message);
});

socket.on('comment.created', (payload) => {
  live.comments.push(payload);
});

// A comment posted by the page itself over REST: a cross-origin POST with an
// Authorization header and a JSON body, so the browser sends a preflight first.
// Resolves { status, body } or { error }.
window.postComment = async (comment) => {
  try {
    const res = await fetch(`${API_BASE_URL}/api/reports/${reportId}/comments`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ comment }),
    });
    return { status: res.status, body: await res.json() };
  } catch (err) {
    return { error: String(err) };
  }
};
