'use strict';
// Echo server: every byte received is written back. See ../lib/serve.js for the flags.
require('../lib/serve').serve(__dirname).catch((err) => {
  console.error(err.message);
  process.exit(1);
});
