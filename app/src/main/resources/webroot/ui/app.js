// Rollcall's fleet dashboard: plain JavaScript against the operator API (the admin token stays in this
// tab's sessionStorage), with live updates from GET /api/v1/stream (Server-Sent Events over fetch, so the
// token travels as a header, never in a URL).
'use strict';
const state = {
  token: sessionStorage.getItem('rollcall.token') || '', agents: [], summary: [], selected: null, reload: null, stream: null,
  loads: 0, shownLoad: 0, // loads started; the newest one shown (an older answer that comes in later is dropped)
  conditions: { auth: null, stream: null, load: null }, note: null, // what the banner says (see showBanner)
};
const $ = (sel) => document.querySelector(sel);
// Every value shown comes from the API (names, reasons, gateway errors): escaped before it meets innerHTML.
const esc = (v) => String(v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const text = (v) => (v === null || v === undefined || v === '' ? '-' : esc(v));
const STATUSES = ['provisioning', 'waking', 'starting', 'ready', 'busy', 'degraded', 'offline'];

async function api(method, path, body, token = state.token) {
  const response = await fetch(path, {
    method, headers: { 'Authorization': 'Bearer ' + token, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(response.status + ' ' + (json.error || '') + ': ' + (json.message || response.statusText));
  }
  return json;
}

// The banner: one line for each state that still holds (the token refused, the stream down, the fleet
// not loaded), each cleared when its state ends, then the latest message about one action, which stays
// until the next message of any kind.
function showBanner() {
  const lines = ['auth', 'stream', 'load'].map((k) => state.conditions[k]).filter(Boolean);
  if (state.note) lines.push(state.note);
  const box = $('#message');
  box.replaceChildren(...lines.map((line) => Object.assign(document.createElement('p'), { textContent: line })));
  box.hidden = lines.length === 0;
}

function say(message) {
  state.note = message || null;
  showBanner();
}

function fail(condition, message) {
  if (state.conditions[condition] === message) return; // the same state again (a retry): no news
  state.conditions[condition] = message;
  state.note = null;
  showBanner();
}

function over(...conditions) {
  if (!conditions.some((c) => state.conditions[c])) return;
  conditions.forEach((c) => { state.conditions[c] = null; });
  showBanner();
}

// "When did this happen" times: relative to now ("12 s ago"), with the exact ISO instant in the title,
// refreshed every 5 s from the instant kept in the element (no fetch).
function ago(iso, now = Date.now()) {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return String(iso);
  const s = Math.floor((now - at) / 1000);
  if (s < -5) return 'in ' + span(-s); // the server's clock ahead of this browser's: said, not hidden
  if (s < 5) return 'just now';
  return span(s) + ' ago';
}

function span(s) {
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min';
  if (s < 86400) return Math.floor(s / 3600) + ' h';
  return Math.floor(s / 86400) + ' d';
}

const when = (iso, none = '-') => (iso === null || iso === undefined || iso === '' ? esc(none)
  : `<time class="ago" datetime="${esc(iso)}" title="${esc(iso)}">${esc(ago(iso))}</time>`);

function refreshTimes() {
  const now = Date.now();
  document.querySelectorAll('time.ago').forEach((t) => { t.textContent = ago(t.getAttribute('datetime'), now); });
}

async function load() {
  // Loads overlap (a Connect, the stream's reloads, an action's): only the newest answer for the current
  // token is shown, so a slower older one (a refused token's, say) never overwrites what came after it.
  const seq = ++state.loads;
  const token = state.token;
  const stale = () => token !== state.token || seq < state.shownLoad;
  try {
    const summary = await api('GET', '/api/v1/fleet/summary', undefined, token);
    const agents = [];
    let after = null;
    do {
      const page = await api('GET', '/api/v1/agents?limit=500' + (after ? '&after=' + after : ''), undefined, token);
      agents.push(...page.agents);
      after = page.next;
    } while (after && agents.length < 5000);
    if (stale()) return;
    state.shownLoad = seq;
    state.summary = summary.gateways; // every gateway, with its counts and name
    state.agents = agents;
    render();
    over('load', 'auth'); // loaded: the token was accepted
    if (state.selected) {
      await showAgent(state.selected);
    }
  } catch (e) {
    if (stale()) return;
    state.shownLoad = seq;
    fail('load', 'Cannot load the fleet: ' + e.message);
  }
}

function render() {
  const names = Object.fromEntries(state.summary.map((g) => [g.gatewayId, g.name]));
  // Overview: agents per status per gateway.
  $('#overview thead').innerHTML = '<tr><th>gateway</th>' + STATUSES.map((s) => `<th>${s}</th>`).join('') + '</tr>';
  // Counted by the database, every gateway and every agent (the list below is one page of agents).
  $('#overview tbody').innerHTML = state.summary.map((g) => `<tr data-gateway="${esc(g.gatewayId)}"><td>${esc(g.name)}
        <button data-sync="${esc(g.gatewayId)}" title="template sync with token rotation">sync templates</button></td>` +
      STATUSES.map((s) => `<td data-status="${s}">${esc(g.counts[s] || 0)}</td>`).join('') + '</tr>').join('');
  // The list, filtered by status.
  const filter = $('#filter').value;
  $('#agents tbody').innerHTML = state.agents.filter((a) => !filter || a.lifecycleStatus === filter).map((a) => `
    <tr class="agent" data-agent="${esc(a.id)}">
      <td>${esc(a.name)}</td><td>${esc(names[a.gatewayId] || a.gatewayId)}</td>
      <td><span class="status ${esc(a.lifecycleStatus)}">${esc(a.lifecycleStatus)}</span></td>
      <td class="last-seen">${when(a.lastSeenAt, 'never')}</td><td>${esc(a.wakeAttempts)}</td>
      <td class="${a.lastProvisionError ? 'error' : ''}">${text(a.lastProvisionError || a.statusReason)}</td>
    </tr>`).join('');
}

async function showAgent(id) {
  state.selected = id;
  const [agent, events, tasks] = await Promise.all([
    api('GET', '/api/v1/agents/' + id), api('GET', '/api/v1/agents/' + id + '/events?latest=200'),
    api('GET', '/api/v1/tasks?limit=20&agentId=' + id)]);
  if (state.selected !== id) return; // another agent was opened meanwhile
  $('#agent').hidden = false;
  $('#agent-name').textContent = agent.name;
  // Past times read relative (lastSeenAt, suspectSince); the deadlines ahead (checkinDeadline, recoveryAt) stay exact.
  const past = { lastSeenAt: 'never', suspectSince: '-' };
  $('#agent-fields').innerHTML = ['lifecycleStatus', 'statusReason', 'lastProvisionError', 'wakeAttempts', 'checkinDeadline',
    'lastSeenAt', 'provisionEpoch', 'recoveryAt', 'suspectSince', 'needsTemplateSync', 'needsRebootstrap'].map((k) =>
    `<dt>${k}</dt><dd data-field="${k}">${k in past ? when(agent[k], past[k]) : text(agent[k])}</dd>`).join('');
  $('#timeline').innerHTML = events.events.map((e) =>
    `<li>${when(e.at)} <b>${esc(e.name)}</b>${e.to ? ' → ' + esc(e.to) : ''}</li>`).join('');
  $('#tasks tbody').innerHTML = tasks.tasks.map((t) =>
    `<tr><td>${esc(t.id)}</td><td>${esc(t.state)}</td><td>${esc(t.attempt)}</td><td>${text(t.meaning)}</td></tr>`).join('');
}

async function act(action) {
  try {
    const r = await api('POST', '/api/v1/agents/' + state.selected + '/' + action, {});
    say(r.wakeDelivered === false ? 'wake counted but not delivered: ' + r.error : action + ' sent');
    await load();
  } catch (e) {
    say(action + ' refused: ' + e.message);
  }
}

// One stream per page: a new Connect aborts the previous one, and only the newest loop touches the page
// (an aborted loop returns without a word whenever its answer comes in). Events schedule at most one
// reload per 500 ms (a busy fleet's stream of transitions must not postpone the reload for ever).
function live(on, label) {
  $('#live').className = 'live ' + (on ? 'on' : 'off');
  $('#live').textContent = label;
}

function reloadSoon() {
  if (!state.reload) {
    state.reload = setTimeout(() => { state.reload = null; load(); }, 500);
  }
}

async function stream() {
  if (state.stream) state.stream.abort();
  const controller = new AbortController();
  state.stream = controller;
  const token = state.token;
  const current = () => !controller.signal.aborted;
  let dropped = false;
  while (current()) {
    live(false, 'connecting');
    try {
      const response = await fetch('/api/v1/stream', { headers: { 'Authorization': 'Bearer ' + token }, signal: controller.signal });
      if (!current()) return;
      if (response.status === 401) {
        live(false, 'offline');
        over('stream');
        fail('auth', 'The admin token was refused; live updates stopped.');
        return;
      }
      if (!response.ok) {
        throw new Error('the stream answered ' + response.status);
      }
      live(true, 'live');
      over('auth', 'stream');
      if (dropped) reloadSoon(); // transitions passed while it was down
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffered = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (!current()) return;
        if (done) break;
        buffered += decoder.decode(value, { stream: true });
        const events = buffered.split('\n\n');
        buffered = events.pop();
        if (events.some((e) => e.includes('data:'))) reloadSoon();
      }
      throw new Error('the stream ended');
    } catch (e) {
      if (!current()) return; // aborted by a newer Connect
      dropped = true;
      live(false, 'offline');
      fail('stream', 'Live updates are down (' + e.message + '); retrying every 3 s.');
    }
    await new Promise((r) => setTimeout(r, 3000));
  }
}

function connect() {
  sessionStorage.setItem('rollcall.token', state.token);
  load();
  stream();
}

$('#login').addEventListener('submit', (e) => {
  e.preventDefault();
  state.token = $('#token').value.trim();
  connect();
});
$('#filter').addEventListener('change', render);
$('#agents tbody').addEventListener('click', (e) => {
  const row = e.target.closest('tr[data-agent]');
  if (row) showAgent(row.dataset.agent).catch((err) => say(err.message));
});
document.querySelectorAll('[data-action]').forEach((b) => b.addEventListener('click', () => act(b.dataset.action)));
$('#overview tbody').addEventListener('click', async (e) => {
  const id = e.target.dataset && e.target.dataset.sync;
  if (!id) return;
  try {
    const r = await api('POST', '/api/v1/gateways/' + id + '/templates/sync?rotate_tokens=true', {});
    say('templates synced: ' + r.agents + ' agents, ' + r.rotated + ' credentials rotated');
  } catch (err) {
    say('sync refused: ' + err.message);
  }
});
setInterval(refreshTimes, 5000);
if (state.token) {
  $('#token').value = state.token;
  connect();
}
