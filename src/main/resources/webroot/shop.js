// The shopper's page: drops with a countdown, sign-up / verify / sign-in, buy (through the waiting room when the
// drop has one), then the order followed until it ends.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  let products = [];
  let clockSkewMs = 0;

  // ---------- account ----------
  function show(formId) {
    for (const id of ['sign-in', 'sign-up', 'verify']) $(id).classList.toggle('hidden', id !== formId);
    const first = $(formId).querySelector('input');
    if (first) first.focus();
  }

  function status(text, kind) {
    const s = $('account-status');
    s.textContent = text;
    s.className = kind || '';
  }

  async function refreshWho() {
    const signedIn = !!Api.session();
    $('sign-out').classList.toggle('hidden', !signedIn);
    $('account').classList.toggle('hidden', signedIn);
    if (!signedIn) { $('who-name').textContent = 'Not signed in'; renderDrops(); return; }
    const me = await Api.call('GET', '/api/users/me', { auth: true });
    if (me.status === 200) {
      $('who-name').textContent = me.body.name + ' · ' + me.body.points + ' points';
    } else if (me.status === 401) {
      await Api.logout();
      return refreshWho();
    }
    renderDrops();
  }

  $('show-sign-in').addEventListener('click', () => show('sign-in'));
  $('show-sign-up').addEventListener('click', () => show('sign-up'));
  $('sign-out').addEventListener('click', async () => { await Api.logout(); refreshWho(); show('sign-in'); });

  $('sign-in').addEventListener('submit', async (e) => {
    e.preventDefault();
    const r = await Api.login($('in-email').value.trim(), $('in-password').value);
    if (r.status === 200) { status('Signed in.', 'ok'); await refreshWho(); }
    else if (r.status === 403) { status('Verify your email first.', 'bad'); show('verify'); }
    else status(Api.explain(r), 'bad');
  });

  $('sign-up').addEventListener('submit', async (e) => {
    e.preventDefault();
    const email = $('up-email').value.trim();
    const r = await Api.call('POST', '/api/auth/signup', { body: { email, password: $('up-password').value,
      name: $('up-name').value.trim(), phone: $('up-phone').value.trim(), address: $('up-address').value.trim() } });
    if (r.status === 201) {
      $('in-email').value = email;
      $('in-password').value = $('up-password').value;
      status('Account created for ' + email + '. Check your mail for the verification link.', 'ok');
      show('verify');
    } else status(Api.explain(r), 'bad');
  });

  $('verify').addEventListener('submit', async (e) => {
    e.preventDefault();
    const raw = $('verify-token').value.trim();
    const match = raw.match(/[?&]token=([^&\s]+)/);
    const token = match ? decodeURIComponent(match[1]) : raw;
    const r = await Api.call('GET', '/api/auth/verify?token=' + encodeURIComponent(token));
    if (r.status !== 200) { status(Api.explain(r), 'bad'); return; }
    status('Email verified. Signing you in…', 'ok');
    if ($('in-email').value && $('in-password').value) {
      const login = await Api.login($('in-email').value.trim(), $('in-password').value);
      if (login.status === 200) { status('Verified and signed in.', 'ok'); await refreshWho(); return; }
    }
    show('sign-in');
  });

  // ---------- drops ----------
  async function loadDrops() {
    const r = await Api.call('GET', '/api/products');
    if (r.status !== 200) { $('drops-status').textContent = 'Could not load the drops: ' + Api.explain(r); return; }
    const date = r.headers.get('Date');
    if (date) clockSkewMs = new Date(date).getTime() - Date.now();
    products = r.body.items;
    $('drops-status').textContent = products.length ? '' : 'No drops yet.';
    renderDrops();
  }

  function card(p) {
    let li = $('drop-' + p.productId);
    if (li) return li;
    li = document.createElement('li');
    li.className = 'card';
    li.id = 'drop-' + p.productId;
    li.innerHTML = `
      <h3></h3>
      <p class="muted meta"></p>
      <p><span class="when">Opens in</span> <strong class="countdown" role="timer" aria-live="off"></strong></p>
      <p class="stock"></p>
      <button type="button" class="buy">Buy</button>
      <p class="queue hidden" role="status" aria-live="polite"></p>
      <p class="result" role="status" aria-live="polite"></p>`;
    li.querySelector('h3').textContent = p.name;
    li.querySelector('.buy').addEventListener('click', () => buy(p, li));
    $('drops').appendChild(li);
    return li;
  }

  function renderDrops() {
    for (const p of products) {
      const li = card(p);
      li.querySelector('.meta').textContent = p.grade + ' · ' + p.price + ' points';
      li.querySelector('.stock').textContent = p.available + ' of ' + p.total + ' left';
      const button = li.querySelector('.buy');
      if (!button.dataset.busy) {
        button.disabled = !Api.session() || li.dataset.done === 'true';
        button.textContent = Api.session() ? 'Buy ' + p.name : 'Sign in to buy';
      }
    }
    tick();
  }

  function tick() {
    const now = Date.now() + clockSkewMs;
    for (const p of products) {
      const li = $('drop-' + p.productId);
      if (!li) continue;
      const left = Math.max(0, Math.ceil((new Date(p.dropAt).getTime() - now) / 1000));
      li.querySelector('.countdown').textContent = left === 0 ? 'open now' : duration(left);
      li.querySelector('.when').textContent = left === 0 ? 'Drop' : 'Opens in';
      li.dataset.open = String(left === 0);
    }
  }

  function duration(s) {
    const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60), sec = s % 60;
    return (d ? d + 'd ' : '') + (d || h ? h + 'h ' : '') + (d || h || m ? m + 'm ' : '') + sec + 's';
  }

  // ---------- buying ----------
  function say(li, text, kind) {
    const r = li.querySelector('.result');
    r.textContent = text;
    r.className = 'result ' + (kind || '');
  }

  async function buy(p, li) {
    const button = li.querySelector('.buy');
    if (button.dataset.busy) return;           // a double click sends one request
    button.dataset.busy = 'true';
    button.disabled = true;
    try {
      await attempt(p, li, p.waitingRoom ? await admitted(p, li) : undefined);
    } finally {
      delete button.dataset.busy;
      renderDrops();
    }
  }

  /** One purchase request; a new Idempotency-Key per click, so a retried request is never bought twice. */
  async function attempt(p, li, admission) {
    if (admission === null) return;
    const headers = { 'Idempotency-Key': crypto.randomUUID() };
    if (admission) headers['Admission'] = admission;
    say(li, 'Buying…');
    const r = await Api.call('POST', '/api/products/' + p.productId + '/purchase', { auth: true, headers });
    const code = r.body && r.body.error;
    if (r.status === 202) { li.dataset.done = 'true'; return follow(r.body.orderId, li); }
    if (r.status === 200) { li.dataset.done = 'true'; return say(li, 'LOST: you lost the draw for this one.', 'bad'); }
    if (r.status === 403 && code === 'NOT_ADMITTED' && !admission) {
      return attempt(p, li, await admitted(p, li));
    }
    if (code === 'SOLD_OUT' || code === 'ALREADY_PURCHASED') li.dataset.done = 'true';
    const words = { SOLD_OUT: 'SOLD_OUT: no unit left.', ALREADY_PURCHASED: 'ALREADY_PURCHASED: you already have this one.',
      DROP_NOT_OPEN: 'DROP_NOT_OPEN: not yet, wait for the countdown.', RATE_LIMITED: 'Too many attempts, try again in a moment.' };
    say(li, words[code] || Api.explain(r), 'bad');
  }

  /** Joins the waiting room, shows the place while in line, answers the admission token (null: no admission). */
  async function admitted(p, li) {
    const q = li.querySelector('.queue');
    q.classList.remove('hidden');
    const join = await Api.call('POST', '/api/products/' + p.productId + '/queue', { auth: true });
    if (join.status !== 202) { q.textContent = Api.explain(join); return null; }
    let ticket = join.body;
    while (true) {
      if (ticket.state === 'ADMITTED') { q.textContent = 'Your turn!'; return ticket.admission; }
      if (ticket.state === 'SOLD_OUT') { q.textContent = 'SOLD_OUT while you waited.'; li.dataset.done = 'true'; return null; }
      if (ticket.state === 'EXPIRED') { q.textContent = 'Your place expired; press Buy to line up again.'; return null; }
      q.textContent = ticket.state === 'PRE_QUEUE'
        ? 'In the waiting room: places are drawn when the drop opens.'
        : 'In line: place ' + ticket.position + ', about ' + Math.ceil(ticket.estimatedWaitSeconds || 0) + ' s to wait.';
      q.dataset.position = ticket.position == null ? '' : String(ticket.position);
      await sleep(1000);
      const poll = await Api.call('GET', '/api/products/' + p.productId + '/queue/' + encodeURIComponent(ticket.ticket), { auth: true });
      if (poll.status !== 200) { q.textContent = Api.explain(poll); return null; }
      ticket = poll.body;
    }
  }

  /** The order's status, live, until it ends. */
  async function follow(orderId, li) {
    li.dataset.orderId = orderId;
    while (true) {
      const r = await Api.call('GET', '/api/orders/' + encodeURIComponent(orderId), { auth: true });
      if (r.status === 200) {
        const o = r.body;
        if (o.status === 'COMPLETED') { say(li, 'COMPLETED: it is yours. Order ' + orderId + '.', 'ok'); refreshWho(); return; }
        if (o.status === 'CANCELLED') { say(li, 'CANCELLED: ' + (o.failureReason || 'no reason given') + '.', 'bad'); return; }
        say(li, 'PENDING: reserved for you, order ' + orderId + ' is being settled…');
      }
      await sleep(700);
    }
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  setInterval(tick, 250);
  setInterval(loadDrops, 5000);
  loadDrops();
  refreshWho();
})();
