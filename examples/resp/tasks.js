'use strict';
// Tasks other drivers send to the key's owner: current.run({ op, key, value }, { driver, name: 'kv' }).
const { apply } = require('./store');

module.exports = () => null;
module.exports.kv = ({ op, key, value }) => {
  const r = apply(op, key, value === undefined || value === null ? value : Buffer.from(value));
  return r;
};
