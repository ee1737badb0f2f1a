// The sample page's task list: one row per run, fed by the client SDK's ordered updates, kept in
// sessionStorage so that a reload resumes each run from the last seq shown. Used by app.js.
'use strict';

/**
 * The run list of the page. `deps`: the page's elements (`el`), its storage (`store`), `time` to
 * format an ISO time, `notice` for messages, `updateStart` after each change, and `isCurrent(s)`,
 * true while `s` is still the page's signed-in session.
 */
function SampleRunList({ el, store, time, notice, updateStart, isCurrent }) {
  const FINAL = SampleRunList.FINAL;
  const MAX_RUNS = 10;
  const $ = (id) => document.getElementById(id);

  const storageKey = (s) => `notif.runs.${s.oid}`;

  const FIELDS = ['runId', 'status', 'message', 'percent', 'lastSeq', 'at'];
  const persist = (s) => store.set(storageKey(s), [...s.runs.values()], FIELDS);

  function restore(s) {
    const list = store.get(storageKey(s));
    for (const saved of Array.isArray(list) ? list : [])
      if (saved && typeof saved.runId === 'string') addRun(s, saved);
  }

  /** A run as the list keeps it, from what is known of it (at least its `runId`). */
  const newRun = (init) => ({ status: 'submitted', percent: 0, lastSeq: 0, ...init });

  function addRun(s, init) {
    const run = newRun(init);
    const li = $('run-template').content.firstElementChild.cloneNode(true);
    const short = run.runId.slice(0, 8);
    li.dataset.runId = run.runId;
    Object.assign(li.querySelector('code'), { textContent: short, title: run.runId });
    li.querySelector('.bar').setAttribute('aria-label', `Progress of task ${short}`);
    run.li = li;
    s.runs.set(run.runId, run);
    el.runs.prepend(li); // newest first
    for (const old of s.runs.values()) {
      if (s.runs.size <= MAX_RUNS) break;
      if (!FINAL.has(old.status)) continue; // never drop a run still streaming
      s.runs.delete(old.runId);
      old.li.remove();
    }
    render(run);
    if (!FINAL.has(run.status)) void follow(s, run);
    return run;
  }

  function render(run) {
    const pct = Math.max(0, Math.min(100, Math.round(run.percent)));
    const q = (sel) => run.li.querySelector(sel);
    run.li.dataset.status = run.status;
    q('.run-status').textContent = run.status;
    q('.bar').setAttribute('aria-valuenow', String(pct));
    q('.bar').setAttribute('aria-valuetext', `${pct}%, ${run.status}`);
    q('.bar-fill').style.width = `${pct}%`;
    q('.run-detail').textContent = [run.message, `${pct}%`, time(run.at)]
      .filter(Boolean)
      .join(' · ');
    el.runsEmpty.hidden = el.runs.children.length > 0;
    updateStart();
  }

  /**
   * Follows a run from the last seq shown (0 for a new run): the server replays what was missed,
   * and the loop ends after a terminal status, leaving the run's room on the server.
   */
  async function follow(s, run) {
    try {
      for await (const u of s.client.runUpdates(run.runId, { afterSeq: run.lastSeq }))
        apply(s, run, u);
    } catch (err) {
      failRun(s, run, err.code);
    }
  }

  function apply(s, run, u) {
    const data = u.data && typeof u.data === 'object' ? u.data : {};
    run.lastSeq = u.seq;
    run.status = u.status;
    run.message = typeof u.message === 'string' ? u.message : '';
    run.at = u.at;
    if (typeof data.percent === 'number') run.percent = data.percent;
    if (u.status === 'completed') run.percent = 100;
    render(run);
    persist(s);
  }

  function failRun(s, run, code) {
    if (!isCurrent(s)) return;
    if (code !== 'not_found')
      return notice(`Could not follow task ${run.runId.slice(0, 8)} (${code}).`);
    Object.assign(run, { status: 'unavailable', message: 'The server no longer knows this task' });
    render(run);
    persist(s);
  }

  /** Keeps a run started by a session the page has left since, for when its user is back. */
  function remember(s, init) {
    s.runs.set(init.runId, newRun(init));
    persist(s);
  }

  return { addRun, persist, restore, remember };
}

/** Statuses after which a run sends nothing more: the protocol's, and the page's own 'unavailable'. */
SampleRunList.FINAL = new Set([...NotificationsSdk.TERMINAL_RUN_STATUSES, 'unavailable']);
