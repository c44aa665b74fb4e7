/**
 * Where monaco (GraphiQL's editor) gets its web workers: the three bundled beside the app
 * (gateway/explorer/build.ts), from the gateway itself. GraphiQL's own setups load them from a
 * CDN (esm.sh) or rely on a bundler's worker syntax; this page may load nothing from outside.
 */

/** Worker URLs by monaco label (`editor`, `json`, `graphql`), filled in by the build. */
declare const __EXPLORER_WORKERS__: Readonly<Record<string, string>>;

(globalThis as { MonacoEnvironment?: unknown }).MonacoEnvironment = {
  getWorker(_workerId: string, label: string): Worker {
    const url = __EXPLORER_WORKERS__[label] ?? __EXPLORER_WORKERS__.editor;
    if (!url) throw new Error(`No monaco worker for ${label}`);
    return new Worker(url, { name: label });
  },
};
