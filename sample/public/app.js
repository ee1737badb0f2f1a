// The sample page: plain browser JS on top of the project's client SDK (/notifications-sdk.js,
// global NotificationsSdk). The SDK reconnects, refreshes the token, re-subscribes from the last
// seq seen and hands each run's updates over once, in order; this file only renders them.
'use strict';

(() => {
  const FINAL = SampleRunList.FINAL;
  const MAX_ALERTS = 20;
  const USER_KEY = 'notif.user';
  const REFRESH_MARGIN_MS = 120000; // a dev token is renewed when it has less than this left

  const $ = (id) => document.getElementById(id);
  const el = {
    form: $('login-form'),
    devFields: $('dev-fields'),
    entraFields: $('entra-fields'),
    userSelect: $('user-select'),
    userName: $('user-name'),
    tokenInput: $('token-input'),
    connectBtn: $('connect-btn'),
    identity: $('identity'),
    notice: $('notice'),
    conn: $('connection-state'),
    startBtn: $('start-btn'),
    startHint: $('start-hint'),
    runs: $('runs'),
    runsEmpty: $('runs-empty'),
    alerts: $('alerts'),
    alertsEmpty: $('alerts-empty'),
  };

  let authMode = null; // 'dev' | 'entra'
  let session = null; // the signed-in user: { name, oid, token, expiresAt, client, runs: Map }
  let starting = false;

  // JSON in sessionStorage, which can be off (private mode): the page then forgets on reload.
  const store = {
    get: (key) => {
      try {
        return JSON.parse(sessionStorage.getItem(key));
      } catch {
        return null;
      }
    },
    set: (key, value, fields) => {
      try {
        sessionStorage.setItem(key, JSON.stringify(value, fields));
      } catch {
        // ignored, see above
      }
    },
  };

  const time = (iso) => {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour12: false });
  };

  function notice(text, kind = 'error') {
    el.notice.textContent = text;
    el.notice.dataset.kind = kind;
  }

  function setConn(text) {
    el.conn.textContent = text;
    el.conn.dataset.state = text.split(':')[0];
    updateStart();
  }

  function claims(token) {
    try {
      const b64 = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      return null;
    }
  }

  /** The SDK's accessTokenFactory: a dev token is fetched again when it is about to expire. */
  async function getToken(s) {
    if (authMode === 'entra') {
      // A pasted token cannot be renewed: once expired, stop instead of retrying with it.
      if (s.expiresAt && s.expiresAt < Date.now() && s.client) setTimeout(() => expired(s));
      return s.token;
    }
    if (s.token && s.expiresAt - Date.now() > REFRESH_MARGIN_MS) return s.token;
    const res = await fetch('/dev/token?user=' + encodeURIComponent(s.name));
    if (!res.ok) throw new Error(`GET /dev/token answered ${res.status}`);
    const { access_token: token, oid, expires_in: ttl } = await res.json();
    Object.assign(s, { token, oid, expiresAt: Date.now() + ttl * 1000 });
    return token;
  }

  function expired(s) {
    if (s !== session) return;
    s.client.stop().then(() => setConn('refused: token_expired'));
    notice('Your token has expired. Paste a new one and press Connect.');
  }

  // ---------- runs (run-list.js) ----------

  const { addRun, persist, restore, remember } = SampleRunList({
    el,
    store,
    time,
    notice,
    updateStart,
    isCurrent: (s) => s === session,
  });

  function updateStart() {
    const state = el.conn.dataset.state;
    const running = session && [...session.runs.values()].some((r) => !FINAL.has(r.status));
    el.startBtn.disabled = state !== 'connected' || !session || starting || Boolean(running);
    el.startHint.textContent =
      running || starting
        ? 'Your task is running. You can start another when it ends.'
        : state === 'connected'
          ? 'Runs a simulated background task and streams its progress.'
          : state.endsWith('connecting')
            ? 'Waiting for the connection…'
            : 'Connect to start a task.';
  }

  async function startTask() {
    const s = session;
    starting = true;
    updateStart();
    try {
      const res = await fetch('/api/runs', {
        method: 'POST',
        headers: { Authorization: `Bearer ${await getToken(s)}` },
      });
      if (!res.ok) throw new Error(`POST /api/runs answered ${res.status}`);
      const { runId } = await res.json();
      const started = { runId: String(runId), at: new Date().toISOString() };
      // Signed out or switched meanwhile: the run is kept for its user, not shown to the next.
      if (s !== session) return remember(s, started);
      addRun(s, started);
      persist(s);
      notice('');
    } catch (err) {
      notice(`Could not start a task: ${err.message}`);
    } finally {
      starting = false;
      updateStart();
    }
  }

  // ---------- alerts ----------

  function addAlert(n) {
    const li = $('alert-template').content.firstElementChild.cloneNode(true);
    const runId = n.payload && typeof n.payload.runId === 'string' ? n.payload.runId : '';
    li.dataset.type = n.type;
    li.querySelector('strong').textContent = n.type;
    li.querySelector('span').textContent = runId
      ? `Task ${runId.slice(0, 8)} ${n.payload.status || 'ended'}`
      : JSON.stringify(n.payload);
    Object.assign(li.querySelector('time'), { dateTime: n.at, textContent: time(n.at) });
    el.alerts.prepend(li);
    while (el.alerts.children.length > MAX_ALERTS) el.alerts.lastElementChild.remove();
    el.alertsEmpty.hidden = true;
  }

  // ---------- sign-in ----------

  async function signIn(s) {
    if (session && session.client) session.client.stop();
    session = Object.assign(s, { runs: new Map() });
    el.runs.replaceChildren();
    el.alerts.replaceChildren();
    el.runsEmpty.hidden = el.alertsEmpty.hidden = false;
    el.identity.hidden = true;
    notice('');
    setConn('connecting');
    try {
      await getToken(s); // the oid names the user's stored runs
    } catch (err) {
      if (s === session) {
        setConn('offline');
        notice(`Could not get a token: ${err.message}`);
      }
      return;
    }
    if (s !== session) return; // another user was picked meanwhile
    el.identity.textContent = `Signed in as ${s.name}`;
    el.identity.dataset.initial = s.name.slice(0, 1).toUpperCase();
    el.identity.hidden = false;
    const client = new NotificationsSdk.NotificationsClient({
      url: location.origin,
      accessTokenFactory: () => getToken(s),
    });
    s.client = client;
    client.onStateChange((st) => {
      if (s !== session) return;
      if (st === 'connected') s.retried = false;
      setConn(st === 'disconnected' ? 'offline' : st);
    });
    client.onNotification((n) => s === session && addAlert(n));
    client.onError((e) => {
      if (s !== session) return;
      // A run given up ends its follow loop, which reports it; the rest about a run is transient
      // (a refetch retried, a handler that threw).
      if (e.runId) notice(e.message);
      else if (authMode === 'dev' && e.code === 'token_invalid' && !s.retried) {
        // A restarted in-memory server signs with a new key: one retry with a fresh dev token.
        Object.assign(s, { retried: true, token: null });
        client.start().catch(() => undefined);
      } else {
        setConn(`refused: ${e.code}`);
        notice(e.message);
        el.identity.hidden = true; // not signed in after all
      }
    });
    restore(s);
    client.start().catch(() => undefined); // a refusal is shown by onError
  }

  function connectDev(name) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name))
      return notice('A name is 1–64 letters, digits, “_”, “.” or “-”.');
    store.set(USER_KEY, name); // preselects the user after a reload
    signIn({ name });
  }

  function connectEntra(raw) {
    const token = raw.trim().replace(/^Bearer\s+/i, '');
    const c = claims(token);
    if (!c) return notice('That does not look like a JWT access token.');
    if (c.exp && c.exp * 1000 < Date.now()) return notice('That token has expired.');
    const oid =
      c.oid || c['http://schemas.microsoft.com/identity/claims/objectidentifier'] || 'unknown';
    const name = c.preferred_username || c.name || c.upn || oid;
    signIn({ name, oid, token, expiresAt: c.exp ? c.exp * 1000 : 0 });
  }

  el.form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (authMode === 'dev') connectDev(el.userName.value.trim() || el.userSelect.value);
    else if (authMode === 'entra') connectEntra(el.tokenInput.value);
  });
  el.userSelect.addEventListener('change', () => {
    el.userName.value = '';
    connectDev(el.userSelect.value);
  });
  el.startBtn.addEventListener('click', startTask);

  async function boot() {
    if (!window.NotificationsSdk)
      return notice('The client SDK (/notifications-sdk.js) did not load.');
    try {
      const res = await fetch('/api/config');
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      authMode = (await res.json()).authMode === 'entra' ? 'entra' : 'dev';
    } catch (err) {
      notice(`Server not reachable (${err.message}); retrying…`);
      return setTimeout(boot, 3000);
    }
    el.devFields.hidden = authMode !== 'dev';
    el.entraFields.hidden = authMode !== 'entra';
    el.connectBtn.disabled = false;
    notice('');
    if (authMode === 'entra') return notice('Paste an access token and press Connect.', 'info');
    const saved = store.get(USER_KEY);
    const name = typeof saved === 'string' ? saved : 'alice';
    if ([...el.userSelect.options].some((o) => o.value === name)) el.userSelect.value = name;
    else el.userName.value = name;
    connectDev(name); // dev mode connects at once, so a reload resumes the running task
  }

  updateStart();
  boot();
})();
