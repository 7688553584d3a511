'use strict';
// The task module every pool in the dispatch benchmark loads: the same functions for all.
module.exports = (n) => n + 1;
module.exports.echo = (x) => x;
