// Rollcall's fleet dashboard: plain JavaScript against the operator API (the admin token stays in this
// tab's sessionStorage), with live updates from GET /api/v1/stream (Server-Sent Events over fetch, so the
// token travels as a header, never in a URL).
'use strict';
const state = { token: sessionStorage.getItem('rollcall.token') || '', agents: [], summary: [], selected: null, reload: null, stream: null };
const $ = (sel) => document.querySelector(sel);
// Every value shown comes from the API (names, reasons, gateway errors): escaped before it meets innerHTML.
const esc = (v) => String(v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const text = (v) => (v === null || v === undefined || v === '' ? '-' : esc(v));
const STATUSES = ['provisioning', 'waking', 'starting', 'ready', 'busy', 'degraded', 'offline'];

async function api(method, path, body) {
  const response = await fetch(path, {
    method, headers: { 'Authorization': 'Bearer ' + state.token, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(response.status + ' ' + (json.error || '') + ': ' + (json.message || response.statusText));
  }
  return json;
}

function say(message) {
  const p = $('#message');
  p.textContent = message || '';
  p.hidden = !message;
}

async function load() {
  try {
    const summary = await api('GET', '/api/v1/fleet/summary');
    state.summary = summary.gateways; // every gateway, with its counts and name
    const agents = [];
    let after = null;
    do {
      const page = await api('GET', '/api/v1/agents?limit=500' + (after ? '&after=' + after : ''));
      agents.push(...page.agents);
      after = page.next;
    } while (after && agents.length < 5000);
    state.agents = agents;
    render();
    if (state.selected) {
      await showAgent(state.selected);
    }
  } catch (e) {
    say('Cannot load the fleet: ' + e.message);
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
      <td>${text(a.lastSeenAt)}</td><td>${esc(a.wakeAttempts)}</td>
      <td class="${a.lastProvisionError ? 'error' : ''}">${text(a.lastProvisionError || a.statusReason)}</td>
    </tr>`).join('');
}

async function showAgent(id) {
  state.selected = id;
  const [agent, events, tasks] = await Promise.all([
    api('GET', '/api/v1/agents/' + id), api('GET', '/api/v1/agents/' + id + '/events?latest=200'),
    api('GET', '/api/v1/tasks?limit=20&agentId=' + id)]);
  $('#agent').hidden = false;
  $('#agent-name').textContent = agent.name;
  $('#agent-fields').innerHTML = ['lifecycleStatus', 'statusReason', 'lastProvisionError', 'wakeAttempts', 'checkinDeadline',
    'lastSeenAt', 'provisionEpoch', 'recoveryAt', 'suspectSince', 'needsTemplateSync', 'needsRebootstrap'].map((k) => `<dt>${k}</dt><dd data-field="${k}">${text(agent[k])}</dd>`).join('');
  $('#timeline').innerHTML = events.events.map((e) =>
    `<li>${esc(e.at)} <b>${esc(e.name)}</b>${e.to ? ' → ' + esc(e.to) : ''}</li>`).join('');
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

// One stream per page: a new Connect aborts the previous one. Events schedule at most one reload per
// 500 ms (a busy fleet's stream of transitions must not postpone the reload for ever).
async function stream() {
  if (state.stream) state.stream.abort();
  const controller = new AbortController();
  state.stream = controller;
  while (!controller.signal.aborted) {
    try {
      const response = await fetch('/api/v1/stream', { headers: { 'Authorization': 'Bearer ' + state.token }, signal: controller.signal });
      if (response.status === 401) {
        say('The admin token was refused; live updates stopped.');
        break;
      }
      if (!response.ok) {
        throw new Error('stream answered ' + response.status);
      }
      $('#live').className = 'live on';
      $('#live').textContent = 'live';
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffered = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffered += decoder.decode(value, { stream: true });
        const events = buffered.split('\n\n');
        buffered = events.pop();
        if (events.some((e) => e.includes('data:')) && !state.reload) {
          state.reload = setTimeout(() => { state.reload = null; load(); }, 500);
        }
      }
    } catch (e) {
      // aborted, or the connection dropped: reconnect after a pause unless aborted
    }
    $('#live').className = 'live off';
    $('#live').textContent = 'offline';
    if (!controller.signal.aborted) {
      await new Promise((r) => setTimeout(r, 3000));
    }
  }
}

$('#login').addEventListener('submit', (e) => {
  e.preventDefault();
  state.token = $('#token').value.trim();
  sessionStorage.setItem('rollcall.token', state.token);
  load();
  stream();
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
if (state.token) {
  $('#token').value = state.token;
  load();
  stream();
}
