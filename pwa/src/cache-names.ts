/** The service worker's run-time cache of onnxruntime's WASM and the models (shared by page and worker). */
export const LARGE_FILES_CACHE = 'pictor-large-files';
