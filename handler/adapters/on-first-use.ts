/**
 * `load`, run on the first call only and shared by every call after it (and by
 * calls made while it runs). A load that fails (a file missing from a broken
 * deploy) is not kept: the next call tries again. For the parts of the bundle
 * loaded with `import()` when first needed (see scripts/build-handler.ts).
 */
export function onFirstUse<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((err: unknown) => {
      loading = undefined;
      throw err;
    });
    return loading;
  };
}
