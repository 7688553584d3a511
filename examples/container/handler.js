// Each read (one line, for the clients of this example) answered with its length in characters,
// computed by the `length` task on whichever driver is free.
import { current } from '@gatio/core';

export default {
  data(conn, bytes) {
    const line = bytes.toString('utf8').trimEnd();
    current.run(line, { name: 'length' }).then((n) => conn.write(`${n}\n`));
  },
};
