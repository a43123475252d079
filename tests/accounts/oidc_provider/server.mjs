// A real OpenID Connect provider for the CIRS tests: panva's oidc-provider (OpenID
// Certified), with the council's test users, their groups claim, PKCE required and
// RP-initiated logout. Started by tests/accounts/oidc_server.py in a subprocess:
//
//   node server.mjs CONFIG.json
//
// CONFIG.json: {"clients": [...], "users": [...], "jwk": {private RSA JWK with kid},
//               "cookieKey": "..."}.
// It listens on a free 127.0.0.1 port and prints one JSON line, {"issuer": "..."}, once
// it is ready. Two test-only endpoints (never in a real provider) let a test change the
// world the provider sees, instead of waiting for it:
//   POST /__test__/clock  {"offset": seconds}  moves the provider's clock
//   POST /__test__/users  [users]              replaces the directory (e.g. groups)
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let users = config.users;

// The provider reads the time through Date.now(); an offset moves its clock.
const realNow = Date.now.bind(Date);
let clockOffsetMs = 0;
Date.now = () => realNow() + clockOffsetMs;

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function claimsOf(user) {
  const claims = { sub: user.sub, name: user.name, groups: user.groups || [] };
  if (user.email) {
    claims.email = user.email;
    claims.email_verified = true;
  }
  if (user.given_name) claims.given_name = user.given_name;
  if (user.family_name) claims.family_name = user.family_name;
  return claims;
}

function loginPage(uid, message) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Council sign-in</title></head>
<body><h1>Council sign-in (test directory)</h1>
${message ? `<p role="alert">${escapeHtml(message)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label>Council username <input name="login" autocomplete="username"></label>
<label>Council password <input name="password" type="password"></label>
<button type="submit">Sign in to the council</button>
</form></body></html>`;
}

async function grantEverythingAsked(provider, details, accountId) {
  // Council-managed application: the directory consents for its staff.
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  return grant.save();
}

async function interaction(provider, req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    res.writeHead(400).end('interaction mismatch');
    return;
  }
  if (details.prompt.name === 'consent') {
    const grantId = await grantEverythingAsked(provider, details, details.session.accountId);
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  if (action !== 'login') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(loginPage(uid));
    return;
  }
  const form = new URLSearchParams(await readBody(req));
  const user = users.find((u) => u.login === form.get('login') && u.password === form.get('password'));
  if (!user) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      .end(loginPage(uid, 'That council username and password were not recognised.'));
    return;
  }
  const grantId = await grantEverythingAsked(provider, details, user.sub);
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId: user.sub }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

async function testControl(req, res, path) {
  const body = JSON.parse((await readBody(req)) || 'null');
  if (path === '/__test__/clock') {
    clockOffsetMs = Math.round(Number(body.offset) * 1000);
  } else if (path === '/__test__/users') {
    users = body;
  } else {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(204).end();
}

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: config.clients,
    jwks: { keys: [config.jwk] },
    cookies: { keys: [config.cookieKey] },
    findAccount: async (_ctx, sub) => {
      const user = users.find((u) => u.sub === sub);
      if (!user) return undefined;
      return { accountId: sub, claims: async () => claimsOf(user) };
    },
    // Like Entra ID: groups come with every sign-in, without a scope of their own.
    claims: {
      openid: ['sub', 'groups'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name'],
    },
    // Like Entra ID: the groups and e-mail are in the ID token itself.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    interactions: { url: (_ctx, inter) => `/interaction/${inter.uid}` },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Council sign-out</title></head>
<body><h1>Sign out of the council?</h1>${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button></body></html>`;
        },
      },
    },
    ttl: {
      AuthorizationCode: 60,
      IdToken: 3600,
      AccessToken: 3600,
      Grant: 3600,
      Interaction: 600,
      Session: 3600,
    },
  });
  // Why the provider refused something, on stderr (the tests show it when they fail).
  for (const event of ['end_session.error', 'grant.error', 'authorization.error', 'server_error']) {
    provider.on(event, (_ctx, error) => process.stderr.write(`${event}: ${error} ${error?.cause ?? ''}\n`));
  }
  const handle = provider.callback();
  server.on('request', async (req, res) => {
    try {
      const path = new URL(req.url, issuer).pathname;
      const match = path.match(/^\/interaction\/([^/]+)(?:\/(login))?$/);
      if (path === '/favicon.ico') {
        res.writeHead(204).end();
      } else if (path.startsWith('/__test__/') && req.method === 'POST') {
        await testControl(req, res, path);
      } else if (match) {
        await interaction(provider, req, res, match[1], req.method === 'POST' ? match[2] : undefined);
      } else {
        handle(req, res);
      }
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
    }
  });
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
