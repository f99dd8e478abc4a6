declare module 'node-gyp-build' {
  /** Returns the exports of the prebuild or build/Release addon found under `root`. */
  function nodeGypBuild(root: string): unknown;
  namespace nodeGypBuild {
    /** The path of the addon nodeGypBuild(root) would load; throws `No native build was found for …` where there is none. */
    function resolve(root: string): string;
  }
  export = nodeGypBuild;
}
