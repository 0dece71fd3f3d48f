// A typical Express 5 app: `{"error": {"code", "message"}}` from an error
// handler, an API-key middleware, express.json() with a 1 MB limit.
//
// ERRCAT_DEFECTS=1 plants three defects that `errcat check` must name: a
// wrong status (403 for an invalid key, where the catalog says 401), a
// leaked stack trace (the root route fails and the handler sends err.stack),
// and an oversized body echoed back (no limit; the validation error repeats
// the body).
//
// Run: `node app.js` (prints `listening on URL`).
'use strict';

const express = require('express');

const DEFECTS = process.env.ERRCAT_DEFECTS === '1';
const API_KEY = 'sk_test_express';

const spec = {
  openapi: '3.1.0',
  info: { title: 'Shop', version: '1' },
  components: {
    securitySchemes: { key: { type: 'apiKey', in: 'header', name: 'X-API-Key' } },
    schemas: {
      NewItem: {
        type: 'object',
        required: ['name', 'price'],
        properties: { name: { type: 'string' }, price: { type: 'integer', minimum: 0 } },
      },
    },
  },
  paths: {
    '/items': {
      get: { responses: { 200: { description: 'items' } } },
      post: {
        security: [{ key: [] }],
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/NewItem' } } } },
        responses: { 201: { description: 'created' } },
      },
    },
    '/items/{id}': {
      get: {
        security: [{ key: [] }],
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
        responses: { 200: { description: 'an item' } },
      },
    },
  },
};

function fail(res, status, code, message, extra) {
  res.status(status).json({ error: { code, message, ...extra } });
}

function requireKey(req, res, next) {
  const key = req.get('x-api-key');
  if (!key) return fail(res, 401, 'MISSING_API_KEY', 'An API key is required');
  if (key !== API_KEY) return fail(res, DEFECTS ? 403 : 401, 'INVALID_API_KEY', 'The API key is not valid');
  next();
}

const app = express();
app.use(express.json({ limit: DEFECTS ? '10mb' : '1mb' }));

app.get('/', (req, res, next) => {
  if (DEFECTS) throw new Error('connection to the database failed');
  next();
});
app.get('/openapi.json', (req, res) => res.json(spec));
app.get('/items', (req, res) => res.json([]));
app.post('/items', requireKey, (req, res) => {
  const { name, price } = req.body ?? {};
  if (typeof name !== 'string' || !Number.isInteger(price)) {
    const extra = DEFECTS ? { received: req.body } : {};
    return fail(res, 400, 'VALIDATION_ERROR', '`name` must be a string and `price` an integer', extra);
  }
  res.status(201).json({ name, price });
});
app.get('/items/:id', requireKey, (req, res) => fail(res, 404, 'ITEM_NOT_FOUND', `Item ${req.params.id} not found`));
// Express answers an unrouted method with 404; this app says 405.
app.all('/items', (req, res) => {
  res.set('Allow', 'GET, POST');
  fail(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed here`);
});
if (!DEFECTS) {
  app.get('/', (req, res) => res.json({ name: 'shop' }));
}
app.use((req, res) => fail(res, 404, 'NOT_FOUND', 'Not found'));
// eslint-disable-next-line no-unused-vars
app.use((err, req, res, next) => {
  if (err.type === 'entity.parse.failed') return fail(res, 400, 'INVALID_JSON', 'The body is not valid JSON');
  if (err.type === 'entity.too.large') return fail(res, 413, 'PAYLOAD_TOO_LARGE', 'The body is too large');
  fail(res, 500, 'INTERNAL_ERROR', DEFECTS ? err.stack : 'Something went wrong');
});

const server = app.listen(0, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
