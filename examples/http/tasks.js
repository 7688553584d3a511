'use strict';
// The HTTP example runs no tasks; the runtime still needs a task module.
module.exports = () => null;
