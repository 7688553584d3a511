// The tasks: named exports of this module.
export const length = (line) => [...line].length;
