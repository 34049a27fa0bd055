// Tokens from an external issuer: with JWT_PUBLIC_KEY set, reportd accepts RS256 (or ES256)
// tokens signed with the matching private key, besides its own HS256 tokens, and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSign, generateKeyPairSync, sign as signRaw } from 'node:crypto';

import { api, closeLive, connectLive, startReportd } from './lib/reportd.mjs';

const b64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function claimsFor(userId) {
  const now = Math.floor(Date.now() / 1000);
  return { sub: String(userId), role: 'operator', internal: true, iss: 'reportd', iat: now, exp: now + 600 };
}

function signRs256(claims, privateKey) {
  const input = `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(claims)}`;
  const signature = createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url');
  return `${input}.${signature}`;
}

function signEs256(claims, privateKey) {
  const input = `${b64url({ alg: 'ES256', typ: 'JWT' })}.${b64url(claims)}`;
  // JWS wants the raw r||s form, not DER.
  const signature = signRaw('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = (publicKey) => publicKey.export({ type: 'spki', format: 'pem' });

test('an RS256 token of the configured issuer key opens REST and the live channel', async (t) => {
  const issuer = rsa();
  const server = await startReportd({
    users: [{ username: 'staff', role: 'operator', internal: true }],
    env: { JWT_PUBLIC_KEY: pem(issuer.publicKey) },
  });
  t.after(() => server.stop());
  const userId = server.users.staff.id;
  const token = signRs256(claimsFor(userId), issuer.privateKey);

  const me = await api(server.url, 'GET', '/api/auth/me', { token });
  assert.equal(me.status, 200);
  assert.equal(me.json.id, userId);

  const socket = await connectLive(server.url, { auth: { token } });
  closeLive(socket);

  const stranger = signRs256(claimsFor(userId), rsa().privateKey);
  assert.equal((await api(server.url, 'GET', '/api/auth/me', { token: stranger })).status, 401);
  await assert.rejects(connectLive(server.url, { auth: { token: stranger } }), (err) => {
    assert.equal(err.message, 'unauthorized');
    assert.deepEqual(err.data, { code: 401 });
    return true;
  });

  // Its own HS256 tokens still work beside the external ones.
  const own = await api(server.url, 'POST', '/api/auth/login', {
    body: { username: 'staff', password: server.users.staff.password },
  });
  assert.equal(own.status, 200);
  assert.equal((await api(server.url, 'GET', '/api/auth/me', { token: own.json.token })).status, 200);
});

test('an ES256 key enables ES256; JWT_ALGORITHMS=HS256 refuses external tokens', async (t) => {
  const issuer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const es = await startReportd({
    users: [{ username: 'staff', role: 'operator', internal: true }],
    env: { JWT_PUBLIC_KEY: pem(issuer.publicKey) },
  });
  t.after(() => es.stop());
  const token = signEs256(claimsFor(es.users.staff.id), issuer.privateKey);
  assert.equal((await api(es.url, 'GET', '/api/auth/me', { token })).status, 200);

  const rsaIssuer = rsa();
  const strict = await startReportd({
    users: [{ username: 'staff', role: 'operator', internal: true }],
    env: { JWT_PUBLIC_KEY: pem(rsaIssuer.publicKey), JWT_ALGORITHMS: 'HS256' },
  });
  t.after(() => strict.stop());
  const refused = signRs256(claimsFor(strict.users.staff.id), rsaIssuer.privateKey);
  assert.equal((await api(strict.url, 'GET', '/api/auth/me', { token: refused })).status, 401);
});
