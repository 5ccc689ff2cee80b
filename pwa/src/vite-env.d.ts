/// <reference types="vite/client" />

/** Size in bytes of onnxruntime-web's WASM, read at build time (pwa/vite.config.ts): the download's total. */
declare const __ORT_WASM_BYTES__: number;
