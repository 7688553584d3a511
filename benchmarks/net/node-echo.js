'use strict';
// Competitor for echo: node:net. `node node-echo.js PORT`
require('node:net')
  .createServer({ noDelay: true }, (s) => {
    s.on('data', (d) => s.write(d));
    s.on('error', () => {});
  })
  .listen(Number(process.argv[2]), '127.0.0.1', () => console.log('listening'));
