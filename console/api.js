// The REST API of this server (README "API"): every call carries the session's token; an error
// answer becomes an ApiError with the server's code and message.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const TOKEN_KEY = 'reportd.token';
const USER_KEY = 'reportd.user';

/** The signed-in session kept in sessionStorage (this tab only), or null. */
export function storedSession() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const user = sessionStorage.getItem(USER_KEY);
  if (!token || !user) return null;
  try {
    return { token, user: JSON.parse(user) };
  } catch {
    return null;
  }
}

export function forgetSession() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
}

/** Called with the ApiError when the server no longer accepts the token (401). */
let onUnauthorized = () => {};
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

export async function request(method, path, body) {
  const headers = { Accept: 'application/json' };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network_error', 'The server cannot be reached. Check the connection and try again.');
  }
  const payload = await response.json().catch(() => null);
  if (response.ok) return payload;
  const error = new ApiError(
    response.status,
    payload?.error?.code ?? 'http_error',
    payload?.error?.message ?? `The server answered ${response.status}.`,
  );
  if (response.status === 401 && token) onUnauthorized(error);
  throw error;
}

export async function signIn(username, password) {
  const { token, user } = await request('POST', '/api/auth/login', { username, password });
  sessionStorage.setItem(TOKEN_KEY, token);
  sessionStorage.setItem(USER_KEY, JSON.stringify(user));
  return { token, user };
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  const text = search.toString();
  return text ? `?${text}` : '';
}

export const listReports = ({ status, cursor, limit = 20 } = {}) =>
  request('GET', `/api/reports${query({ status, cursor, limit })}`);
export const getReport = (id) => request('GET', `/api/reports/${id}`);
export const createReport = (fields) => request('POST', '/api/reports', fields);
export const setReportStatus = (id, status) => request('PATCH', `/api/reports/${id}`, { status });
export const listComments = (id, cursor) => request('GET', `/api/reports/${id}/comments${query({ cursor, limit: 100 })}`);
export const postComment = (id, comment) => request('POST', `/api/reports/${id}/comments`, { comment });
