// Sample page for the notifications gateway: plain browser JS, no build step.
// Follows the wire contract in PROTOCOL.md (sections 3 and 4). The global `io` comes from
// /socket.io/socket.io.js, served by the socket.io server itself.
'use strict';

(() => {
  /** Statuses after which a run publishes nothing more ('unavailable' is this page's own). */
  const FINAL = new Set(['completed', 'failed', 'cancelled', 'unavailable']);
  const MAX_RUNS = 10;
  const MAX_ALERTS = 20;
  const ACK_TIMEOUT_MS = 10000;
  /** How long an out-of-order update may wait for the missing ones before we ask over HTTP. */
  const HOLD_MS = 3000;
  const DEV_USER_KEY = 'notif.devUser';

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
    connState: $('connection-state'),
    startBtn: $('start-btn'),
    startHint: $('start-hint'),
    runs: $('runs'),
    runsEmpty: $('runs-empty'),
    alerts: $('alerts'),
    alertsEmpty: $('alerts-empty'),
  };

  const state = {
    authMode: null, // 'dev' | 'entra'
    token: null,
    user: null, // { name, oid }
    socket: null,
    everConnected: false, // tells a reconnect from the first connect of this socket
    connectGen: 0, // bumps on every user switch so late token responses are ignored
    retryTimer: null,
    noticeTimer: null,
    retryDelay: 0,
    lastDevRefresh: 0,
    starting: false,
    runs: new Map(), // runId -> run, oldest first
    seenAlerts: new Set(),
  };

  // ---------- small helpers ----------

  function fmtTime(iso) {
    const d = new Date(iso);
    return Number.isNaN(d.getTime())
      ? ''
      : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  function notice(text, kind = 'info') {
    el.notice.textContent = text;
    el.notice.dataset.kind = kind;
    // Info messages are transient; warnings and errors stay until something replaces them.
    clearTimeout(state.noticeTimer);
    if (kind === 'info' && text) state.noticeTimer = setTimeout(() => notice(''), 6000);
  }

  function setConnState(text) {
    el.connState.textContent = text;
    el.connState.dataset.state = text.split(':')[0];
    updateStartButton();
  }

  function decodeJwt(token) {
    try {
      const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      const json = decodeURIComponent(
        atob(part)
          .split('')
          .map((c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0'))
          .join(''),
      );
      return JSON.parse(json);
    } catch {
      return null;
    }
  }

  async function fetchDevToken(name) {
    const res = await fetch('/dev/token?user=' + encodeURIComponent(name));
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const body = await res.json();
    if (!body || typeof body.access_token !== 'string') throw new Error('no access_token');
    return body;
  }

  /** fetch with the Bearer token; in dev mode a 401 (expired token) gets one retry with a fresh token. */
  async function api(path, init = {}, retried = false) {
    const headers = Object.assign({}, init.headers, { Authorization: `Bearer ${state.token}` });
    const res = await fetch(path, Object.assign({}, init, { headers }));
    if (res.status === 401 && state.authMode === 'dev' && !retried && state.user) {
      state.token = (await fetchDevToken(state.user.name)).access_token;
      return api(path, init, true);
    }
    return res;
  }

  // ---------- runs: storage ----------

  function storageKey() {
    return `notif.runs.${state.user ? state.user.oid : 'anonymous'}`;
  }

  function persist() {
    if (!state.user) return;
    const list = [...state.runs.values()].map((r) => ({
      runId: r.runId,
      status: r.status,
      message: r.message,
      percent: r.percent,
      step: r.step,
      total: r.total,
      finished: r.finished,
      startedAt: r.startedAt,
      updatedAt: r.updatedAt,
    }));
    try {
      sessionStorage.setItem(storageKey(), JSON.stringify(list));
    } catch {
      // Storage full or disabled (private mode): the page still works, it just forgets on reload.
    }
  }

  /** Replaces the runs on screen with the stored runs of the current user. */
  function loadRuns() {
    for (const run of state.runs.values()) clearTimeout(run.holdTimer);
    state.runs.clear();
    el.runs.replaceChildren();
    let list = [];
    try {
      list = JSON.parse(sessionStorage.getItem(storageKey()) || '[]');
    } catch {
      list = [];
    }
    for (const saved of Array.isArray(list) ? list : []) {
      if (!saved || typeof saved.runId !== 'string') continue;
      // lastSeq is not restored on purpose: after a reload we subscribe with afterSeq 0 and let the
      // server replay the run's log, so the page rebuilds its state from the server's truth.
      addRun(Object.assign({}, saved, { lastSeq: 0 }));
    }
    toggleEmpty();
  }

  // ---------- runs: state and rendering ----------

  function addRun(init) {
    const run = {
      runId: init.runId,
      status: init.status || 'submitted',
      message: init.message || '',
      percent: Number(init.percent) || 0,
      step: init.step,
      total: init.total,
      finished: Boolean(init.finished),
      startedAt: init.startedAt || new Date().toISOString(),
      updatedAt: init.updatedAt || null,
      lastSeq: init.lastSeq || 0,
      pending: new Map(), // seq -> update that arrived ahead of a missing one
      holdTimer: null,
      refetching: false,
      unsubscribed: false,
      subscribeAttempts: 0,
    };
    run.el = createRunItem(run);
    state.runs.set(run.runId, run);
    el.runs.prepend(run.el.li); // newest first
    renderRun(run);
    trimRuns();
    toggleEmpty();
    return run;
  }

  function trimRuns() {
    for (const run of state.runs.values()) {
      if (state.runs.size <= MAX_RUNS) break;
      if (!run.finished) continue; // never drop a run that is still streaming
      state.runs.delete(run.runId);
      run.el.li.remove();
    }
  }

  function createRunItem(run) {
    const li = document.createElement('li');
    li.className = 'run';
    li.dataset.runId = run.runId;

    const head = document.createElement('div');
    head.className = 'run-head';
    const name = document.createElement('span');
    name.className = 'run-name';
    const code = document.createElement('code');
    code.textContent = run.runId;
    name.append('Run ', code);
    const status = document.createElement('span');
    status.className = 'run-status';
    head.append(name, status);

    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.setAttribute('role', 'progressbar');
    bar.setAttribute('aria-valuemin', '0');
    bar.setAttribute('aria-valuemax', '100');
    bar.setAttribute('aria-label', `Progress of run ${run.runId}`);
    const fill = document.createElement('div');
    fill.className = 'bar-fill';
    bar.append(fill);

    const detail = document.createElement('p');
    detail.className = 'run-detail';

    li.append(head, bar, detail);
    return { li, status, bar, fill, detail };
  }

  function renderRun(run) {
    const pct = Math.max(0, Math.min(100, Math.round(run.percent)));
    run.el.li.dataset.status = run.status;
    run.el.status.textContent = run.status;
    run.el.bar.setAttribute('aria-valuenow', String(pct));
    run.el.bar.setAttribute('aria-valuetext', `${pct}%, ${run.status}`);
    run.el.fill.style.width = `${pct}%`;
    const parts = [];
    if (run.message) parts.push(run.message);
    else if (run.step && run.total) parts.push(`Step ${run.step} of ${run.total}`);
    parts.push(`${pct}%`);
    const when = fmtTime(run.updatedAt || run.startedAt);
    if (when) parts.push(when);
    run.el.detail.textContent = parts.join(' · ');
  }

  function toggleEmpty() {
    el.runsEmpty.hidden = state.runs.size > 0;
    el.alertsEmpty.hidden = el.alerts.children.length > 0;
  }

  function updateStartButton() {
    const connected = Boolean(state.socket && state.socket.connected);
    const active = [...state.runs.values()].some((r) => !r.finished);
    el.startBtn.disabled = !connected || state.starting || active;
    el.startHint.textContent = !connected
      ? 'Connect to start a task.'
      : state.starting
        ? 'Starting…'
        : active
          ? 'Your task is running; you can start another when it ends.'
          : 'Runs a simulated task and streams its progress live.';
  }

  // ---------- runs: ordering and de-duplication by seq ----------

  /** Applies one update known to be the next in sequence. */
  function applyUpdate(run, u) {
    run.lastSeq = u.seq;
    run.status = String(u.status);
    run.message = typeof u.message === 'string' ? u.message : '';
    run.updatedAt = u.at;
    const d = u.data && typeof u.data === 'object' ? u.data : null;
    if (d && typeof d.percent === 'number') run.percent = d.percent;
    else if (d && d.step && d.total) run.percent = (100 * d.step) / d.total;
    if (d && d.step) run.step = d.step;
    if (d && d.total) run.total = d.total;
    if (run.status === 'queued') run.percent = 0;
    if (run.status === 'completed') run.percent = 100;
    run.finished = FINAL.has(run.status);
  }

  /** Applies held updates that have become next in line, and forgets stale ones. */
  function drain(run) {
    while (run.pending.has(run.lastSeq + 1)) {
      const next = run.pending.get(run.lastSeq + 1);
      run.pending.delete(next.seq);
      applyUpdate(run, next);
    }
    for (const seq of run.pending.keys()) if (seq <= run.lastSeq) run.pending.delete(seq);
    if (run.pending.size === 0) {
      clearTimeout(run.holdTimer);
      run.holdTimer = null;
    }
  }

  function afterChange(run) {
    renderRun(run);
    persist();
    if (run.finished) onFinished(run);
    updateStartButton();
  }

  function onStatusUpdate(u) {
    if (!u || typeof u.runId !== 'string' || !Number.isInteger(u.seq)) return;
    const run = state.runs.get(u.runId);
    if (!run) return; // not a run this page tracks (e.g. left over from another user)
    // Around a (re)subscribe the same update can arrive twice: seq tells.
    if (u.seq <= run.lastSeq || run.pending.has(u.seq)) return;
    if (u.seq > run.lastSeq + 1) {
      // Arrived early: hold it until the missing ones come, or ask the server after a while.
      run.pending.set(u.seq, u);
      if (!run.holdTimer) {
        run.holdTimer = setTimeout(() => {
          run.holdTimer = null;
          if (run.pending.size > 0) refetch(run);
        }, HOLD_MS);
      }
      return;
    }
    applyUpdate(run, u);
    drain(run);
    afterChange(run);
  }

  /** Rebuilds a run from GET /api/runs/:id, used when the live stream cannot fill a gap. */
  async function refetch(run) {
    if (run.refetching) return;
    run.refetching = true;
    try {
      const res = await api(`/api/runs/${encodeURIComponent(run.runId)}`);
      if (state.runs.get(run.runId) !== run) return; // user switched meanwhile
      if (res.status === 404) return markUnavailable(run);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const snap = await res.json();
      const updates = Array.isArray(snap.updates) ? snap.updates : [];
      updates
        .filter((u) => u && Number.isInteger(u.seq) && u.seq > run.lastSeq)
        .sort((a, b) => a.seq - b.seq)
        .forEach((u) => applyUpdate(run, u));
      // The log may have lost old entries, but the snapshot's own status and lastSeq are current,
      // unless live updates already took us further.
      if (Number.isInteger(snap.lastSeq) && snap.lastSeq >= run.lastSeq && snap.status) {
        run.lastSeq = snap.lastSeq;
        run.status = snap.status;
        run.finished = FINAL.has(run.status);
        if (run.status === 'completed') run.percent = 100;
      }
      drain(run);
      afterChange(run);
    } catch (err) {
      notice(`Could not refresh run ${run.runId}: ${err.message}`, 'error');
    } finally {
      run.refetching = false;
    }
  }

  function markUnavailable(run) {
    run.status = 'unavailable';
    run.message = 'The server no longer knows this run.';
    run.finished = true;
    run.pending.clear();
    afterChange(run);
  }

  function onFinished(run) {
    clearTimeout(run.holdTimer);
    run.holdTimer = null;
    const s = state.socket;
    if (run.unsubscribed || !s || !s.connected) return;
    run.unsubscribed = true;
    // Frees the server-side subscription slot; nothing more will be published for this run.
    s.emit('unsubscribeFromRun', { runId: run.runId }, () => {});
  }

  // ---------- socket ----------

  function subscribe(run) {
    const s = state.socket;
    if (!s || !s.connected || run.finished) return;
    run.unsubscribed = false;
    run.subscribeAttempts += 1;
    const retryLater = () => {
      if (run.subscribeAttempts >= 5)
        return notice(`Could not subscribe to run ${run.runId}.`, 'error');
      setTimeout(() => {
        if (s === state.socket && state.runs.get(run.runId) === run) subscribe(run);
      }, 2000);
    };
    s.timeout(ACK_TIMEOUT_MS).emit(
      'subscribeToRun',
      { runId: run.runId, afterSeq: run.lastSeq },
      (err, ack) => {
        if (s !== state.socket || state.runs.get(run.runId) !== run) return;
        if (err) return s.connected ? retryLater() : undefined; // a reconnect resubscribes anyway
        if (!ack || !ack.ok) {
          const code = ack && ack.error ? ack.error.code : 'unknown';
          if (code === 'not_found') return markUnavailable(run);
          if (code === 'rate_limited') return retryLater();
          return notice(`Subscribe to ${run.runId} refused: ${code}`, 'error');
        }
        run.subscribeAttempts = 0;
        // Replayed updates come before the ack, so by now we should hold everything up to
        // ack.lastSeq. If not (or the log lost entries), HTTP has the state.
        if (ack.gap || run.lastSeq < ack.lastSeq) refetch(run);
      },
    );
  }

  function closeSocket() {
    clearTimeout(state.retryTimer);
    state.retryTimer = null;
    const s = state.socket;
    state.socket = null;
    if (s) {
      s.off();
      s.io.off('reconnect_attempt');
      s.disconnect();
    }
    setConnState('offline');
  }

  function openSocket() {
    if (typeof io !== 'function') {
      setConnState('offline');
      return notice('The socket.io client script did not load.', 'error');
    }
    state.everConnected = false;
    state.retryDelay = 0;
    setConnState('connecting');
    // auth is a callback so every reconnect sends the token current at that moment.
    // forceNew: a user switch must never share the previous user's connection.
    const s = io('/notifications', {
      auth: (cb) => cb({ token: state.token }),
      transports: ['websocket', 'polling'],
      forceNew: true,
    });
    state.socket = s;
    // Handlers of a socket we already replaced must do nothing.
    const live =
      (fn) =>
      (...args) => {
        if (s === state.socket) fn(...args);
      };

    s.on(
      'connect',
      live(() => {
        const again = state.everConnected;
        state.everConnected = true;
        state.retryDelay = 0;
        setConnState('connected');
        if (again) notice('Reconnected; catching up on running tasks.');
        else if (el.notice.dataset.kind === 'error') notice('');
        // First connect (possibly after a page reload): afterSeq is 0, the whole log replays.
        // Reconnect: afterSeq is the last seq we saw, only the missed updates replay.
        for (const run of state.runs.values()) if (!run.finished) subscribe(run);
      }),
    );

    s.on(
      'disconnect',
      live((reason) => {
        if (reason === 'io server disconnect') {
          // The server closed us on purpose (instance draining, token expired); socket.io does
          // not retry that by itself. Come back after a short random delay, perhaps to another
          // instance; an expired token then shows up as a refused handshake.
          setConnState('reconnecting');
          retryConnect(s, 1000 + Math.random() * 1000);
        } else {
          setConnState(s.active ? 'reconnecting' : 'offline');
        }
      }),
    );

    s.io.on(
      'reconnect_attempt',
      live(() => setConnState(state.everConnected ? 'reconnecting' : 'connecting')),
    );

    s.on(
      'connect_error',
      live((err) => {
        // A refusal by the server carries err.data.code; a transport failure does not, and
        // socket.io retries it by itself (s.active stays true).
        const code = err && err.data && err.data.code;
        if (!code && s.active) {
          setConnState(state.everConnected ? 'reconnecting' : 'connecting');
          return;
        }
        const reason = code || (err && err.message) || 'unknown';
        setConnState(`refused: ${reason}`);
        onRefused(s, reason);
      }),
    );

    s.on('statusUpdate', live(onStatusUpdate));
    s.on('notification', live(onNotification));

    s.on(
      'authExpiring',
      live(async (p) => {
        const at = fmtTime(p && p.expiresAt);
        if (state.authMode !== 'dev') {
          notice(`Your token expires at ${at}. Paste a new one and press Connect.`, 'warn');
          return;
        }
        try {
          const tok = await fetchDevToken(state.user.name);
          if (s === state.socket) refreshOnSocket(s, tok.access_token);
        } catch (err) {
          notice(`Could not renew the token: ${err.message}`, 'error');
        }
      }),
    );

    s.on(
      'authExpired',
      live(async () => {
        if (state.authMode !== 'dev') {
          notice('Your token expired. Paste a new token and press Connect.', 'error');
          return;
        }
        // The server disconnects right after this event; the 'disconnect' handler reconnects,
        // by then with this fresh token.
        notice('Token expired; reconnecting with a new one.', 'warn');
        try {
          state.token = (await fetchDevToken(state.user.name)).access_token;
        } catch (err) {
          notice(`Could not renew the token: ${err.message}`, 'error');
        }
      }),
    );
  }

  /** Connects the (not auto-reconnecting) socket again after `ms`. */
  function retryConnect(s, ms) {
    clearTimeout(state.retryTimer);
    state.retryTimer = setTimeout(() => {
      if (s !== state.socket || s.connected) return;
      setConnState(state.everConnected ? 'reconnecting' : 'connecting');
      s.connect();
    }, ms);
  }

  /** Decides whether a refused handshake is worth retrying. */
  function onRefused(s, code) {
    if (code === 'token_expired' && state.authMode === 'dev') {
      // e.g. the laptop slept past expiry. One renewal per 10 s avoids a loop if clocks disagree.
      if (Date.now() - state.lastDevRefresh < 10000) {
        return notice('The server keeps refusing fresh tokens as expired.', 'error');
      }
      state.lastDevRefresh = Date.now();
      fetchDevToken(state.user.name)
        .then((tok) => {
          state.token = tok.access_token;
          retryConnect(s, 0);
        })
        .catch((err) => notice(`Could not renew the token: ${err.message}`, 'error'));
    } else if (code === 'auth_unavailable') {
      // Server-side condition (identity provider keys unreachable): back off and try again.
      state.retryDelay = Math.min(30000, state.retryDelay ? state.retryDelay * 2 : 2000);
      notice(`Sign-in service unavailable; retrying in ${state.retryDelay / 1000} s.`, 'warn');
      retryConnect(s, state.retryDelay);
    } else if (code === 'token_expired') {
      notice('Your token expired. Paste a new token and press Connect.', 'error');
    } else if (code === 'too_many_connections') {
      notice(
        'Too many open connections for this user. Close other tabs, then press Connect.',
        'error',
      );
    } else {
      notice(`The server refused the connection (${code}).`, 'error');
    }
  }

  function refreshOnSocket(s, token) {
    s.timeout(ACK_TIMEOUT_MS).emit('refreshToken', { token }, (err, ack) => {
      if (s !== state.socket) return;
      if (err) return notice('Token refresh got no answer.', 'error');
      if (ack && ack.ok) {
        state.token = token;
        notice(`Token renewed, valid until ${fmtTime(ack.expiresAt)}.`);
      } else {
        notice(`Token refresh refused: ${ack && ack.error ? ack.error.code : 'unknown'}`, 'error');
      }
    });
  }

  // ---------- alerts ----------

  function onNotification(n) {
    if (!n || typeof n.type !== 'string') return;
    if (n.id) {
      if (state.seenAlerts.has(n.id)) return;
      state.seenAlerts.add(n.id);
    }
    const runId = n.payload && typeof n.payload.runId === 'string' ? n.payload.runId : null;
    const li = document.createElement('li');
    li.className = 'alert';
    li.dataset.type = n.type;
    const type = document.createElement('strong');
    type.textContent = n.type;
    li.append(type);
    if (runId) {
      const code = document.createElement('code');
      code.textContent = runId;
      li.append(' · run ', code);
    }
    const time = document.createElement('time');
    time.dateTime = n.at || '';
    time.textContent = fmtTime(n.at);
    li.append(' · ', time);
    el.alerts.prepend(li);
    while (el.alerts.children.length > MAX_ALERTS) el.alerts.lastElementChild.remove();
    toggleEmpty();

    // A run.* alert means the run ended; if the stream somehow missed its last update, ask HTTP.
    const run = runId && state.runs.get(runId);
    if (run && !run.finished && n.type.startsWith('run.')) {
      setTimeout(() => {
        if (!run.finished && state.runs.get(runId) === run) refetch(run);
      }, 1000);
    }
  }

  // ---------- identity and connect ----------

  function setIdentity(user) {
    const changed = !state.user || state.user.oid !== user.oid;
    state.user = user;
    el.identity.textContent = `Signed in as ${user.name}`;
    if (user.oid && user.oid !== user.name) {
      const small = document.createElement('small');
      small.textContent = ` (oid ${user.oid})`;
      el.identity.append(small);
    }
    if (changed) loadRuns(); // each user has their own runs
    updateStartButton();
  }

  async function connectDev(name) {
    name = name.trim();
    if (!name) return notice('Enter a user name.', 'error');
    const gen = ++state.connectGen;
    closeSocket();
    setConnState('connecting');
    let tok;
    try {
      tok = await fetchDevToken(name);
    } catch (err) {
      if (gen === state.connectGen) {
        setConnState('offline');
        notice(`Could not get a dev token: ${err.message}`, 'error');
      }
      return;
    }
    if (gen !== state.connectGen) return; // another switch started meanwhile
    try {
      sessionStorage.setItem(DEV_USER_KEY, name);
    } catch {
      // Not essential: only preselects the user after a reload.
    }
    state.token = tok.access_token;
    setIdentity({ name, oid: tok.oid || name });
    openSocket();
  }

  function connectEntra(raw) {
    const token = raw.trim().replace(/^Bearer\s+/i, '');
    const claims = token && decodeJwt(token);
    if (!claims) return notice('That does not look like a JWT access token.', 'error');
    const oid =
      claims.oid || claims['http://schemas.microsoft.com/identity/claims/objectidentifier'] || '';
    const name = claims.preferred_username || claims.name || claims.upn || oid || 'unknown user';
    // Same user on a live connection: swap the token in place instead of reconnecting.
    if (state.socket && state.socket.connected && state.user && oid && state.user.oid === oid) {
      return refreshOnSocket(state.socket, token);
    }
    state.connectGen += 1;
    closeSocket();
    // The token stays in memory only; after a reload the user pastes it again and the
    // page resumes the runs remembered for that oid.
    state.token = token;
    setIdentity({ name, oid: oid || 'unknown' });
    openSocket();
  }

  async function startTask() {
    const user = state.user;
    state.starting = true;
    updateStartButton();
    try {
      const res = await api('/api/runs', { method: 'POST' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = await res.json();
      if (state.user !== user) return; // switched user while the request was in flight
      const run = addRun({ runId: String(body.runId) });
      persist();
      subscribe(run); // afterSeq 0: updates published before this point are replayed
    } catch (err) {
      notice(`Could not start a task: ${err.message}`, 'error');
    } finally {
      state.starting = false;
      updateStartButton();
    }
  }

  // ---------- start-up ----------

  function wireUi() {
    el.form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (state.authMode === 'dev') connectDev(el.userName.value.trim() || el.userSelect.value);
      else if (state.authMode === 'entra') connectEntra(el.tokenInput.value);
    });
    // Picking a user in the list switches right away; the text field needs Connect (or Enter).
    el.userSelect.addEventListener('change', () => {
      el.userName.value = '';
      connectDev(el.userSelect.value);
    });
    el.startBtn.addEventListener('click', startTask);
  }

  async function loadConfig() {
    let cfg;
    try {
      const res = await fetch('/api/config');
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      cfg = await res.json();
    } catch (err) {
      notice(`Server not reachable (${err.message}); retrying…`, 'error');
      setTimeout(loadConfig, 3000);
      return;
    }
    state.authMode = cfg && cfg.authMode === 'entra' ? 'entra' : 'dev';
    el.devFields.hidden = state.authMode !== 'dev';
    el.entraFields.hidden = state.authMode !== 'entra';
    el.connectBtn.disabled = false;
    notice('');
    if (state.authMode === 'dev') {
      let saved = null;
      try {
        saved = sessionStorage.getItem(DEV_USER_KEY);
      } catch {
        saved = null;
      }
      const name = saved || 'alice';
      const listed = [...el.userSelect.options].some((o) => o.value === name);
      if (listed) el.userSelect.value = name;
      else el.userName.value = name;
      connectDev(name); // dev mode connects straight away so a reload resumes running tasks
    } else {
      notice('Paste an access token and press Connect.');
    }
  }

  wireUi();
  toggleEmpty();
  updateStartButton();
  loadConfig();
})();
