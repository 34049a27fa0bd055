// The REST API's OpenAPI description (src/api/openapi.json) as a check on every response a test
// receives, so that the document cannot drift from the code: `api` and `login` here are those of
// reportd.mjs, and each response must be one the document describes for that path and method:
// - a documented status (a path the document does not know: 404 with the error body; a method
//   it does not list for a known path: 405 with the error body and `Allow` naming exactly the
//   documented methods),
// - the documented media type, and a body that matches the schema (ajv, JSON Schema 2020-12,
//   as OpenAPI 3.1 uses).

import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { api as rawApi } from './reportd.mjs';
import { repoRoot } from './server.mjs';

/** The document, as kept in the repository (and built into the binary). */
export const openapiPath = path.join(repoRoot, 'src/api/openapi.json');
export const openapi = JSON.parse(fs.readFileSync(openapiPath, 'utf8'));

const DOC_ID = 'openapi.json';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** A validator of responses against `doc` (another document than the repository's, for self tests). */
export function responseChecker(doc) {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
  addFormats(ajv);
  // OpenAPI's own words in schemas (none of them constrain a value).
  for (const keyword of ['example', 'discriminator', 'xml', 'externalDocs']) ajv.addKeyword(keyword);
  const compiled = new Map();

  const pointer = (tokens) => tokens.map((t) => String(t).replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
  /** A $ref of a response object (not a schema): "#/components/responses/X". */
  const resolve = (object) => {
    let o = object;
    for (let hops = 0; o?.$ref && hops < 10; ++hops) {
      o = o.$ref.slice(2).split('/').reduce((at, t) => at?.[t.replaceAll('~1', '/').replaceAll('~0', '~')], doc);
    }
    return o;
  };
  /** The document's schemas refer to "#/..."; inside the wrapper that is "#/$defs/doc/...". */
  const rebase = (value) => {
    if (Array.isArray(value)) return value.map(rebase);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${DOC_ID}#/$defs/doc/${v.slice(2)}` : rebase(v)]),
      );
    }
    return value;
  };
  // The whole document under $defs, its references rebased, so that "#/components/schemas/X"
  // resolves; only the schemas that a check uses are compiled, on first use.
  ajv.addSchema({ $id: DOC_ID, $defs: { doc: rebase(doc) } });
  const validator = (key, schema) => {
    if (!compiled.has(key)) compiled.set(key, ajv.compile(rebase(schema)));
    return compiled.get(key);
  };

  /** The path template of the document that `pathname` fits (literal segments before parameters). */
  const templateOf = (pathname) => {
    const segments = pathname.split('/');
    let best;
    for (const template of Object.keys(doc.paths)) {
      const parts = template.split('/');
      if (parts.length !== segments.length) continue;
      let params = 0;
      const fits = parts.every((p, i) => {
        if (/^\{[^}]+\}$/.test(p)) return segments[i] !== '' && ++params > 0;
        return p === segments[i];
      });
      if (fits && (best === undefined || params < best.params)) best = { template, params };
    }
    return best?.template;
  };

  const errorSchema = validator('Error', { $ref: '#/components/schemas/Error' });

  /**
   * The problems of response `r` ({status, headers, json, text}) to `method pathname`: an empty
   * array when the document describes it.
   */
  function problems(method, pathname, r) {
    const where = `${method} ${pathname} -> ${r.status}`;
    const out = [];
    const checkError = () => {
      if (!/^application\/json\b/.test(String(r.headers['content-type']))) out.push(`${where}: Content-Type ${r.headers['content-type']}, not application/json`);
      if (!errorSchema(r.json)) out.push(`${where}: not the error body: ${ajv.errorsText(errorSchema.errors)} in ${r.text.slice(0, 300)}`);
    };
    const onlyPath = pathname.split('?')[0];
    const template = templateOf(onlyPath);
    if (!template) {
      if (r.status !== 404) out.push(`${where}: a path the document does not describe must be 404`);
      checkError();
      return out;
    }
    const item = doc.paths[template];
    const documented = METHODS.filter((m) => item[m]);
    const operation = item[method.toLowerCase()];
    if (!operation) {
      if (r.status !== 405) out.push(`${where}: ${method} is not documented for ${template}: it must be 405`);
      const allow = documented.map((m) => m.toUpperCase()).sort().join(', ');
      const got = String(r.headers.allow ?? '').split(/,\s*/).sort().join(', ');
      if (got !== allow) out.push(`${where}: Allow "${r.headers.allow}", the document lists ${allow}`);
      checkError();
      return out;
    }
    const response = resolve(operation.responses[String(r.status)] ?? operation.responses.default);
    if (!response) {
      out.push(`${where}: status ${r.status} is not documented for ${method} ${template} (documented: ${Object.keys(operation.responses).join(', ')})`);
      return out;
    }
    const content = response.content ?? {};
    const mediaTypes = Object.keys(content);
    const type = String(r.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (mediaTypes.length === 0) {
      if (r.text !== '') out.push(`${where}: a body where the document describes none`);
      return out;
    }
    if (!mediaTypes.includes(type)) {
      out.push(`${where}: Content-Type ${r.headers['content-type']}, the document says ${mediaTypes.join(' or ')}`);
      return out;
    }
    const schema = content[type].schema;
    if (!schema) return out;
    const body = type === 'application/json' ? r.json : r.text;
    if (type === 'application/json' && body === undefined) {
      out.push(`${where}: the body is not JSON: ${r.text.slice(0, 300)}`);
      return out;
    }
    const key = pointer(['paths', template, method.toLowerCase(), 'responses', String(r.status), type]);
    const validate = validator(key, schema);
    if (!validate(body)) out.push(`${where}: ${ajv.errorsText(validate.errors)} in ${r.text.slice(0, 500)}`);
    return out;
  }
  return { problems };
}

const checker = responseChecker(openapi);

/** Throws when the document does not describe response `r` to `method pathname`. */
export function checkResponse(method, pathname, r) {
  const found = checker.problems(method, pathname, r);
  if (found.length > 0) throw new Error(`the response differs from src/api/openapi.json:\n  ${found.join('\n  ')}`);
  return r;
}

/** `api` of reportd.mjs, and the response checked against the document. */
export async function api(url, method, pathname, options) {
  return checkResponse(method, pathname, await rawApi(url, method, pathname, options));
}

/** POST /api/auth/login through the checked `api`; resolves the token, throws unless 200. */
export async function login(url, username, password) {
  const r = await api(url, 'POST', '/api/auth/login', { body: { username, password } });
  if (r.status !== 200 || typeof r.json?.token !== 'string') {
    throw new Error(`login of ${username} failed: ${r.status} ${r.text}`);
  }
  return r.json.token;
}
