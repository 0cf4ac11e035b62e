#!/usr/bin/env node
// Minimal `ws` client used by the Tollgate end-to-end tests.
// Usage: node echo-client.js <url> <token|-> <message> [timeoutMs]
// Connects with "Authorization: Bearer <token>" (unless token is "-"), sends <message>,
// prints "ECHO <text>" for the first message received and exits 0 when it equals <message>.
// A refused handshake prints "STATUS <code>" and exits 2; any other failure exits 1.
'use strict';
const WebSocket = require('ws');

const [url, token, message, timeoutArg] = process.argv.slice(2);
if (!url || !token || message === undefined) {
  console.error('usage: echo-client.js <url> <token|-> <message> [timeoutMs]');
  process.exit(64);
}
const timeoutMs = Number(timeoutArg || 10000);
const headers = token === '-' ? {} : { Authorization: `Bearer ${token}` };
const ws = new WebSocket(url, { headers, handshakeTimeout: timeoutMs });

const timer = setTimeout(() => {
  console.error(`TIMEOUT after ${timeoutMs} ms`);
  process.exit(1);
}, timeoutMs);

ws.on('unexpected-response', (req, res) => {
  clearTimeout(timer);
  console.log(`STATUS ${res.statusCode}`);
  process.exit(2);
});
ws.on('open', () => ws.send(message));
ws.on('message', (data, isBinary) => {
  const text = isBinary ? Buffer.from(data).toString('hex') : data.toString();
  console.log(`ECHO ${text}`);
  clearTimeout(timer);
  const ok = !isBinary && text === message;
  ws.close(1000, 'done');
  ws.on('close', () => process.exit(ok ? 0 : 3));
  setTimeout(() => process.exit(ok ? 0 : 3), 2000).unref();
});
ws.on('error', (err) => {
  clearTimeout(timer);
  console.error(`ERROR ${err.message}`);
  process.exit(1);
});
