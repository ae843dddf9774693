// Node verifiers of the interop matrix, each used as a relying party uses it: the JWKS fetched
// over HTTP by the library's own remote key set client, the key selected by the token's kid,
// the signature and exp checked against the corpus clock (never the machine's).
//
//   node verify.mjs CASES.json   ->  JSON on stdout: {"libraries": [{name, version, results}]}
//
// jose:                   createRemoteJWKSet(url) + jwtVerify(token, jwks, {algorithms, currentDate})
// jsonwebtoken+jwks-rsa:  jwksClient({jwksUri}).getSigningKey(kid) as the key callback of
//                         jsonwebtoken.verify(token, getKey, {algorithms, clockTimestamp})
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as jose from 'jose';

const require = createRequire(import.meta.url);
const jsonwebtoken = require('jsonwebtoken');
const jwksRsa = require('jwks-rsa');

const version = (pkg) =>
  JSON.parse(readFileSync(new URL(`./node_modules/${pkg}/package.json`, import.meta.url))).version;

const corpus = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const clock = corpus.clock; // seconds since the epoch
const audience = corpus.audience;

const detail = (err) => `${err.code || err.name || 'Error'}: ${err.message}`.slice(0, 300);

async function withJose() {
  const sets = new Map();
  const results = [];
  for (const c of corpus.cases) {
    if (!sets.has(c.jwks_url)) sets.set(c.jwks_url, jose.createRemoteJWKSet(new URL(c.jwks_url)));
    try {
      await jose.jwtVerify(c.token, sets.get(c.jwks_url), {
        algorithms: [c.alg],
        audience,
        currentDate: new Date(clock * 1000),
        requiredClaims: ['exp'],
      });
      results.push({ id: c.id, mode: 'default', result: 'accept', detail: '' });
    } catch (err) {
      results.push({ id: c.id, mode: 'default', result: 'refuse', detail: detail(err) });
    }
  }
  return { name: 'jose', version: version('jose'), results };
}

async function withJsonwebtoken() {
  const clients = new Map();
  const results = [];
  for (const c of corpus.cases) {
    if (!clients.has(c.jwks_url)) clients.set(c.jwks_url, jwksRsa({ jwksUri: c.jwks_url }));
    const client = clients.get(c.jwks_url);
    const getKey = (header, callback) => {
      client.getSigningKey(header.kid, (err, key) => callback(err, key && key.getPublicKey()));
    };
    const outcome = await new Promise((resolve) => {
      jsonwebtoken.verify(
        c.token,
        getKey,
        { algorithms: [c.alg], audience, clockTimestamp: clock },
        (err) => resolve(err ? { result: 'refuse', detail: detail(err) } : { result: 'accept', detail: '' }),
      );
    });
    results.push({ id: c.id, mode: 'default', ...outcome });
  }
  return {
    name: 'jsonwebtoken + jwks-rsa',
    version: `${version('jsonwebtoken')} + ${version('jwks-rsa')}`,
    results,
  };
}

const libraries = [await withJose(), await withJsonwebtoken()];
process.stdout.write(JSON.stringify({ libraries }) + '\n');
