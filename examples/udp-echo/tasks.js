'use strict';
// The UDP echo example runs no tasks; the runtime still needs a task module.
module.exports = () => null;
