// The local OpenID Provider that `make run` and the tests sign staff in with: panva's certified
// oidc-provider, one public client that must use PKCE, and the accounts of users.json behind a
// plain login form. For development only: its signing and cookie keys are made anew at each start.
//
//   node server.mjs --port 8010 --client-base http://127.0.0.1:8000 [--users users.json]

import { generateKeyPairSync, randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const CLIENT_ID = 'stadtmelder-local';
const MAX_FORM_BYTES = 4096;

const { values: options } = parseArgs({
  options: {
    port: { type: 'string', default: '8010' },
    host: { type: 'string', default: '127.0.0.1' },
    'client-base': { type: 'string', default: 'http://127.0.0.1:8000' },
    users: { type: 'string', default: new URL('users.json', import.meta.url).pathname },
  },
});
const issuer = `http://${options.host}:${options.port}`;
const clientBase = options['client-base'].replace(/\/$/, '');
const users = JSON.parse(readFileSync(options.users, 'utf8')).users;

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };
}

// Compares digests, so neither a password's length nor its first wrong letter shows in the time.
function samePassword(given, expected) {
  const digest = (text) => createHash('sha256').update(String(text)).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function accountClaims(user) {
  const claims = { sub: user.sub, name: user.name, roles: user.roles };
  if (user.department) claims.department = user.department;
  return claims;
}

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: CLIENT_ID,
      client_name: 'Stadtmelder (local)',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [`${clientBase}/staff/signed-in`],
      post_logout_redirect_uris: [`${clientBase}/staff/signed-out`],
    },
  ],
  // Every client must send a PKCE challenge (S256 is the only method offered).
  pkce: { required: () => true },
  jwks: { keys: [signingKey()] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: { openid: ['sub'], profile: ['name'], stadtmelder: ['roles', 'department'] },
  // The claims go into the ID token too, as Keycloak's and Entra ID's role mappers put them.
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = page('Abmelden', `<h1>Auch bei der Stadt abmelden?</h1>
  ${form}
  <button type="submit" form="op.logoutForm" value="yes" name="logout" class="primary">Ja, abmelden</button>
  <button type="submit" form="op.logoutForm">Nein, angemeldet bleiben</button>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Abgemeldet', '<h1>Sie sind abgemeldet.</h1>');
      },
    },
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(_ctx, id) {
    const user = users.find((candidate) => candidate.sub === id);
    return user && { accountId: id, claims: async () => accountClaims(user) };
  },
  // The city's own app: no consent screen, every requested scope is granted.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
    await grant.save();
    return grant;
  },
});

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = `
    body { font-family: system-ui, sans-serif; margin: 0; background: #f4f4f4; color: #1a1a1a; }
    main { max-width: 24rem; margin: 2rem auto; padding: 1.5rem; background: #fff; border: 1px solid #767676; }
    label { display: block; font-weight: 600; margin-top: 1rem; }
    input { width: 100%; box-sizing: border-box; font-size: 1rem; padding: .5rem; border: 1px solid #595959; }
    button { margin-top: 1.25rem; font-size: 1rem; padding: .6rem 1rem; }
    .primary { background: #004b87; color: #fff; border: 0; }
    .problem { color: #a00000; font-weight: 600; }
    .note { color: #444; font-size: .9rem; }`;

function page(title, main) {
  return `<!DOCTYPE html>
<html lang="de">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title} – Stadt (lokaler Anmeldedienst)</title>
  <style>${STYLE}</style>
</head>
<body>
<main>
  ${main}
</main>
</body>
</html>`;
}

function loginPage(uid, { login = '', problem = '' } = {}) {
  const invalid = problem ? ' aria-invalid="true" aria-describedby="problem"' : '';
  return page('Anmeldung', `<h1>Anmeldung bei der Stadt</h1>
  <p class="note">Lokaler Anmeldedienst für die Entwicklung (Konten in deploy/local/oidc/users.json).</p>
  ${problem ? `<p class="problem" role="alert" id="problem">${escape(problem)}</p>` : ''}
  <form method="post" action="/interaction/${escape(uid)}/login">
    <label for="login">Benutzername</label>
    <input id="login" name="login" autocomplete="username" required value="${escape(login)}"${invalid}>
    <label for="password">Passwort</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required${invalid}>
    <button type="submit" class="primary">Anmelden</button>
  </form>
  <form method="post" action="/interaction/${escape(uid)}/abort">
    <button type="submit">Abbrechen</button>
  </form>`);
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > MAX_FORM_BYTES) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

function send(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, 'unknown interaction');
  if (req.method === 'GET' && !action) return send(res, 200, loginPage(uid));
  if (req.method !== 'POST') return send(res, 405, 'method not allowed');
  if (action === 'abort') {
    const result = { error: 'access_denied', error_description: 'The person cancelled the sign-in.' };
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }
  const form = await readForm(req);
  const login = form.get('login') || '';
  const user = users.find((candidate) => candidate.login === login);
  const ok = samePassword(form.get('password') || '', user ? user.password : randomBytes(16));
  if (!user || !ok) {
    return send(res, 401, loginPage(uid, { login, problem: 'Benutzername oder Passwort stimmt nicht.' }));
  }
  return provider.interactionFinished(req, res, { login: { accountId: user.sub } }, {
    mergeWithLastSubmission: false,
  });
}

const handle = provider.callback();
const server = http.createServer(async (req, res) => {
  const match = /^\/interaction\/([\w-]+)(?:\/(login|abort))?$/.exec(req.url.split('?')[0]);
  if (!match) return handle(req, res);
  try {
    await interaction(req, res, match[1], match[2]);
  } catch (error) {
    console.error('interaction failed:', error.message);
    if (!res.headersSent) send(res, 400, 'This sign-in has expired; start again from Stadtmelder.');
  }
});

server.listen(Number(options.port), options.host, () => {
  console.log(`local OpenID Provider at ${issuer} for the client ${CLIENT_ID} of ${clientBase}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
