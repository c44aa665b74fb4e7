/**
 * `import()` of a module that is not part of the caller's compiled bundle: a package loaded
 * only when needed (the embedded PostgreSQL, esbuild) or a registry module loaded by path.
 *
 * Why not a plain `import()`: `npm start` runs each process from a bundle that V8 compiles from
 * its code cache (scripts/bundle-loader.ts), and in code compiled from that cache Node has lost
 * the callback a dynamic import needs ("A dynamic import callback was not specified"). The
 * loader, an ordinary module, offers its own `import()` under `RUNTIME_IMPORT`; from source
 * (tsx, tests) there is none and the plain `import()` below is the one that runs.
 */
export const RUNTIME_IMPORT = Symbol.for('caregraph.runtime-import');

type Importer = (specifier: string) => Promise<unknown>;

/** Loads `specifier` (a package name or a file URL) as `import()` would. */
export async function runtimeImport<T>(specifier: string): Promise<T> {
  const importer = (globalThis as { [RUNTIME_IMPORT]?: Importer })[RUNTIME_IMPORT];
  return (await (importer ? importer(specifier) : import(specifier))) as T;
}
