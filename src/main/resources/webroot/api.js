// The contract's calls from the browser. Tokens live in sessionStorage (one tab's life), never in a URL.
'use strict';
const Api = (() => {
  const KEY = 'avalanche.session.' + (document.body?.dataset.app || location.pathname);
  let session = JSON.parse(sessionStorage.getItem(KEY) || 'null');

  function clientId() {
    let id = localStorage.getItem('avalanche.clientId');
    if (!id) {
      id = 'web-' + crypto.randomUUID();
      localStorage.setItem('avalanche.clientId', id);
    }
    return id;
  }

  function save(next) {
    session = next;
    if (next) sessionStorage.setItem(KEY, JSON.stringify(next)); else sessionStorage.removeItem(KEY);
  }

  /** One call; answers {status, body, headers}. A 401 with a refresh token tries one refresh, then the call again. */
  async function call(method, path, { body, headers = {}, auth = false, retried = false } = {}) {
    const h = { ...headers };
    if (body !== undefined) h['Content-Type'] = 'application/json';
    if (auth && session) h['Authorization'] = 'Bearer ' + session.accessToken;
    const response = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
    if (response.status === 401 && auth && session && !retried && await refresh()) {
      return call(method, path, { body, headers, auth, retried: true });
    }
    return { status: response.status, body: json, headers: response.headers };
  }

  async function refresh() {
    const r = await fetch('/api/auth/refresh', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refreshToken: session.refreshToken }) });
    if (r.status !== 200) { save(null); return false; }
    const pair = await r.json();
    save({ ...session, accessToken: pair.accessToken, refreshToken: pair.refreshToken });
    return true;
  }

  async function login(email, password) {
    const r = await call('POST', '/api/auth/login', { body: { email, password, clientId: clientId() } });
    if (r.status === 200) save({ email, accessToken: r.body.accessToken, refreshToken: r.body.refreshToken });
    return r;
  }

  async function logout() {
    if (session) await call('POST', '/api/auth/logout', { auth: true });
    save(null);
  }

  /** A person's words for an error answer. */
  function explain(r) {
    if (r.body && r.body.message) return r.body.message;
    return 'The server answered ' + r.status + '.';
  }

  return { call, login, logout, explain, session: () => session, token: () => session && session.accessToken };
})();
