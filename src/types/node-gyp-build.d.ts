declare module 'node-gyp-build' {
  /** Returns the exports of the prebuild or build/Release addon found under `root`. */
  function nodeGypBuild(root: string): unknown;
  export = nodeGypBuild;
}
