'use strict';
// Competitors for HTTP: `node node-http.js PORT http` (node:http) or `... raw` (a node:net
// responder answering every CRLFCRLF-terminated request with the same fixed response as Gatio's).
const [port, mode] = [Number(process.argv[2]), process.argv[3]];
const BODY = 'Hello, World!';
if (mode === 'http') {
  require('node:http')
    .createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': BODY.length });
      res.end(BODY);
    })
    .listen(port, '127.0.0.1', () => console.log('listening'));
} else {
  const RESP = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${BODY.length}\r\nConnection: keep-alive\r\n\r\n${BODY}`);
  const END = Buffer.from('\r\n\r\n');
  require('node:net')
    .createServer({ noDelay: true }, (sock) => {
      sock.on('data', (d) => {
        let n = 0;
        for (let p = d.indexOf(END); p >= 0; p = d.indexOf(END, p + 4)) n++;
        if (n) sock.write(n === 1 ? RESP : Buffer.concat(Array(n).fill(RESP)));
      });
      sock.on('error', () => {});
    })
    .listen(port, '127.0.0.1', () => console.log('listening'));
}
