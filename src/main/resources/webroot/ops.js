// The operators' live view: /api/admin/live read with fetch() streaming, so the admin's token goes in the
// Authorization header (EventSource cannot send one, and a token in the URL would land in logs and history).
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const WINDOW = 120;                          // seconds of history on every chart
  const OUTCOMES = ['RESERVED', 'LOST', 'SOLD_OUT', 'ALREADY_PURCHASED', 'REJECTED'];
  const COLORS = { RESERVED: '#0a6b2d', LOST: '#8a5a00', SOLD_OUT: '#a50e0e', ALREADY_PURCHASED: '#5b2a86',
    REJECTED: '#444', available: '#0b57d0', reserved: '#8a5a00', sold: '#0a6b2d', queueWaiting: '#a50e0e' };
  const overall = { at: [], sagas: [], settled: [], p99: [] };
  const charts = {};
  const drops = {};
  let stream = null;

  function chart(el, labels, colors) {
    const width = Math.max(260, el.clientWidth || 320);
    const series = [{}].concat(labels.map((label, i) => ({ label, stroke: colors[i], width: 2 })));
    return new uPlot({ width, height: 170, series, axes: [{}, { size: 60 }], legend: { live: false } },
      [[]].concat(labels.map(() => [])), el);
  }

  function push(arrays, values) {
    arrays.forEach((a, i) => { a.push(values[i]); if (a.length > WINDOW) a.shift(); });
  }

  function dropCard(p) {
    if (drops[p.productId]) return drops[p.productId];
    const div = document.createElement('div');
    div.className = 'card';
    div.id = 'drop-' + p.productId;
    div.innerHTML = `<h3></h3>
      <dl class="figures">
        <dt>Attempts / s</dt><dd class="attempts"></dd>
        <dt>Available</dt><dd class="available"></dd>
        <dt>Reserved</dt><dd class="reserved"></dd>
        <dt>Sold</dt><dd class="sold"></dd>
        <dt>Queue waiting</dt><dd class="queue">no waiting room</dd>
      </dl>
      <div class="cards"><div><h4>Attempts / s by outcome</h4><div class="c-outcomes"></div></div>
      <div><h4>Units</h4><div class="c-units"></div></div></div>`;
    div.querySelector('h3').textContent = p.name + ' (#' + p.productId + ')';
    $('drops').prepend(div);             // the newest drop first
    const unitLabels = ['available', 'reserved', 'sold', 'queueWaiting'];
    const d = {
      el: div, t: [], outcomes: OUTCOMES.map(() => []), units: unitLabels.map(() => []),
      cOutcomes: chart(div.querySelector('.c-outcomes'), OUTCOMES, OUTCOMES.map((o) => COLORS[o])),
      cUnits: chart(div.querySelector('.c-units'), unitLabels, unitLabels.map((u) => COLORS[u]))
    };
    drops[p.productId] = d;
    return d;
  }

  function show(snapshot) {
    const t = Date.parse(snapshot.at) / 1000;
    $('at').textContent = new Date(snapshot.at).toLocaleTimeString();
    $('sagas-open').textContent = snapshot.sagasOpen == null ? 'unknown' : snapshot.sagasOpen;
    $('settled').textContent = snapshot.ordersSettledPerSecond;
    $('p99').textContent = snapshot.purchaseP99Ms;
    push([overall.at, overall.sagas, overall.settled, overall.p99],
      [t, snapshot.sagasOpen, snapshot.ordersSettledPerSecond, snapshot.purchaseP99Ms]);
    charts.sagas.setData([overall.at, overall.sagas]);
    charts.settled.setData([overall.at, overall.settled]);
    charts.p99.setData([overall.at, overall.p99]);
    const listed = new Set();
    for (const p of snapshot.products) {
      listed.add(p.productId);
      const d = dropCard(p);
      d.el.classList.remove('hidden');
      d.el.querySelector('.attempts').textContent = p.attemptsPerSecond;
      d.el.querySelector('.available').textContent = p.available;
      d.el.querySelector('.reserved').textContent = p.reserved;
      d.el.querySelector('.sold').textContent = p.sold;
      if (p.queueWaiting != null) d.el.querySelector('.queue').textContent = p.queueWaiting;
      push([d.t].concat(d.outcomes), [t].concat(OUTCOMES.map((o) => p.outcomesPerSecond[o])));
      push([d.t].concat(d.units), [t, p.available, p.reserved, p.sold, p.queueWaiting == null ? null : p.queueWaiting]);
      d.el.dataset.points = String(d.t.length);
      d.cOutcomes.setData([d.t].concat(d.outcomes));
      d.cUnits.setData([d.t].concat(d.units));
    }
    for (const id of Object.keys(drops)) drops[id].el.classList.toggle('hidden', !listed.has(id));
    $('no-drops').classList.toggle('hidden', listed.size > 0);
  }

  /** Reads the event stream; reconnects after a pause when it ends, stops on 401/403. */
  async function watch() {
    const controller = new AbortController();
    stream = controller;
    $('feed-status').textContent = 'Connecting…';
    try {
      const r = await fetch('/api/admin/live', { headers: { Authorization: 'Bearer ' + Api.token() },
        signal: controller.signal });
      if (r.status === 401 || r.status === 403) {
        $('feed-status').textContent = r.status === 403 ? 'This account is not an admin.' : 'Signed out.';
        await Api.logout();
        return signedOut();
      }
      $('feed-status').textContent = 'Live';
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let pending = '';
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        pending += value;
        let end;
        while ((end = pending.indexOf('\n\n')) >= 0) {
          const frame = pending.slice(0, end);
          pending = pending.slice(end + 2);
          const data = frame.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (data) show(JSON.parse(data));
        }
      }
    } catch (e) {
      if (controller.signal.aborted) return;
    }
    if (stream === controller) {
      $('feed-status').textContent = 'Disconnected, retrying…';
      setTimeout(watch, 2000);
    }
  }

  function signedIn() {
    $('sign-in').classList.add('hidden');
    $('live').classList.remove('hidden');
    $('sign-out').classList.remove('hidden');
    if (!charts.sagas) {
      charts.sagas = chart($('chart-sagas'), ['sagas open'], ['#0b57d0']);
      charts.settled = chart($('chart-settled'), ['settled / s'], ['#0a6b2d']);
      charts.p99 = chart($('chart-p99'), ['p99 ms'], ['#a50e0e']);
    }
    watch();
  }

  function signedOut() {
    if (stream) { const s = stream; stream = null; s.abort(); }
    $('sign-in').classList.remove('hidden');
    $('live').classList.add('hidden');
    $('sign-out').classList.add('hidden');
  }

  $('sign-in').addEventListener('submit', async (e) => {
    e.preventDefault();
    const r = await Api.login($('in-email').value.trim(), $('in-password').value);
    if (r.status === 200) { $('sign-in-status').textContent = ''; signedIn(); }
    else $('sign-in-status').textContent = Api.explain(r);
  });
  $('sign-out').addEventListener('click', async () => { signedOut(); await Api.logout(); $('feed-status').textContent = 'Signed out'; });

  if (Api.token()) signedIn();
})();
