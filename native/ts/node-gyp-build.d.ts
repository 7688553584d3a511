// node-gyp-build ships no types: the two calls binding.ts makes.
declare module 'node-gyp-build' {
  /** Requires the addon of the package in `dir` (a build from source first, then prebuilds/). */
  function load(dir: string): unknown;
  namespace load {
    /** The path load(dir) would require; throws "No native build was found for ..." when none matches. */
    function resolve(dir: string): string;
  }
  export = load;
}
