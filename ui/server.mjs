#!/usr/bin/env node
// Serves the built consent app and statistics portal (dist/) and a narrow proxy to one IPFS
// daemon's RPC API, on loopback by default.
//
// Why a proxy: a Kubo-compatible RPC API must never be exposed to web pages (it can pin, unpin
// and garbage-collect), and it refuses requests that carry an Origin header. The page may only
// read an object (`cat`, size-bounded) and store a new one (`add`, size-bounded, never pinned
// here: the chain tells the steward what to pin, and the steward unpins it when the vault ends).
//
// Usage: node server.mjs [--port 8080] [--host 127.0.0.1] --rpc ws://127.0.0.1:9944 --ipfs-api http://127.0.0.1:5001
// Prints "custodia-ui listening on http://HOST:PORT" once it accepts connections.

import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const DIST = resolve(dirname(fileURLToPath(import.meta.url)), 'dist');
/** Objects the app reads or writes: a FHIR body (≤ 4 MiB) in its envelope and header. */
export const MAX_OBJECT_BYTES = 5 * 1024 * 1024;
/** Every call to the daemon gives up after this long (a daemon that hangs must not hang the page). */
const IPFS_TIMEOUT_MS = 30_000;
/** An IPFS CID as the chain stores it: CIDv0 (base58btc) or CIDv1 (base32/base58). */
const CID_PATTERN = /^(Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{50,100}|z[1-9A-HJ-NP-Za-km-z]{40,100})$/;

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.ico': 'image/x-icon',
};

const { values: options } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.CUSTODIA_UI_PORT ?? '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    rpc: { type: 'string', default: process.env.CUSTODIA_RPC_URL ?? 'ws://127.0.0.1:9944' },
    'ipfs-api': { type: 'string', default: process.env.CUSTODIA_IPFS_API ?? 'http://127.0.0.1:5001' },
  },
});

if (!existsSync(join(DIST, 'index.html'))) {
  console.error(`error: ${DIST}/index.html is missing: build the app first (cd ui && npm run build)`);
  process.exit(1);
}

const ipfsApi = options['ipfs-api'].replace(/\/+$/, '');

function send(res, status, body, type = 'application/json') {
  const bytes = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(bytes);
}

function fail(res, status, message) {
  send(res, status, { error: message });
}

/** Reads at most `limit` bytes of a request body; null when it is larger. */
async function readBody(req, limit) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** One call to the daemon's RPC API, without an Origin header, with a timeout. */
async function ipfsCall(path, init = {}) {
  return fetch(`${ipfsApi}/api/v0/${path}`, {
    method: 'POST',
    ...init,
    signal: AbortSignal.timeout(IPFS_TIMEOUT_MS),
  });
}

/** `GET /ipfs/cat?arg=CID`: the object's bytes, at most MAX_OBJECT_BYTES. */
async function cat(url, res) {
  const cid = url.searchParams.get('arg') ?? '';
  if (!CID_PATTERN.test(cid)) return fail(res, 400, `not an IPFS CID: ${JSON.stringify(cid.slice(0, 80))}`);
  const query = new URLSearchParams({ arg: cid, length: String(MAX_OBJECT_BYTES + 1), timeout: '20s' });
  const answer = await ipfsCall(`cat?${query}`);
  if (!answer.ok) {
    const text = (await answer.text()).slice(0, 500);
    return fail(res, 502, `IPFS could not return ${cid}: ${text}`);
  }
  const bytes = Buffer.from(await answer.arrayBuffer());
  if (bytes.length > MAX_OBJECT_BYTES) return fail(res, 413, `${cid} is larger than ${MAX_OBJECT_BYTES} bytes`);
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' });
  res.end(bytes);
}

/** `POST /ipfs/add` with the raw object as body: `{ "cid": ... }`. Not pinned (see above). */
async function add(req, res) {
  const body = await readBody(req, MAX_OBJECT_BYTES);
  if (body === null) return fail(res, 413, `an object may be at most ${MAX_OBJECT_BYTES} bytes`);
  if (body.length === 0) return fail(res, 400, 'the object is empty');
  const form = new FormData();
  form.append('file', new Blob([body], { type: 'application/octet-stream' }), 'object');
  const answer = await ipfsCall('add?pin=false&cid-version=0', { body: form });
  const text = await answer.text();
  if (!answer.ok) return fail(res, 502, `IPFS refused the object: ${text.slice(0, 500)}`);
  let cid;
  try {
    cid = JSON.parse(text.trim().split('\n').pop()).Hash;
  } catch {
    cid = undefined;
  }
  if (typeof cid !== 'string' || !CID_PATTERN.test(cid)) return fail(res, 502, `unreadable IPFS answer: ${text.slice(0, 200)}`);
  send(res, 200, { cid });
}

function serveFile(url, res) {
  let path = decodeURIComponent(url.pathname);
  if (path === '/' || path === '') path = '/index.html';
  if (path === '/portal' || path === '/portal/') path = '/portal.html';
  const file = normalize(join(DIST, path));
  if (!file.startsWith(DIST + '/') || !existsSync(file) || !statSync(file).isFile()) {
    return send(res, 404, 'not found', 'text/plain; charset=utf-8');
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    // Hashed assets never change; pages are always fetched again.
    'cache-control': path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    // The pages talk to the node's WebSocket and to this server only.
    'content-security-policy':
      "default-src 'self'; connect-src 'self' ws: wss: http: https:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'wasm-unsafe-eval'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  createReadStream(file).pipe(res);
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  try {
    if (url.pathname === '/config.json') {
      return send(res, 200, { rpc: options.rpc, ipfs: '/ipfs' });
    }
    if (url.pathname === '/ipfs/cat' && (req.method === 'GET' || req.method === 'POST')) return await cat(url, res);
    if (url.pathname === '/ipfs/add' && req.method === 'POST') return await add(req, res);
    if (url.pathname.startsWith('/ipfs/')) return fail(res, 404, 'only /ipfs/cat and /ipfs/add are served');
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, 405, 'method not allowed');
    return serveFile(url, res);
  } catch (error) {
    const unreachable = error?.name === 'TimeoutError' || error?.cause?.code === 'ECONNREFUSED';
    if (!res.headersSent) {
      fail(res, unreachable ? 504 : 500, unreachable ? `the IPFS daemon at ${ipfsApi} does not answer` : String(error?.message ?? error));
    } else {
      res.destroy();
    }
  }
});

server.listen(Number(options.port), options.host, () => {
  const { address, port } = server.address();
  console.log(`custodia-ui listening on http://${address}:${port}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
