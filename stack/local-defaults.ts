/**
 * Where the parts of the local system find each other when nothing else is said: the ports of
 * `npm start` and `npm run start:<part>`, and the local bucket. Production configuration has no
 * defaults for these (gateway/config.ts, lambda/config.ts require them); only the local entry points
 * fill them in from here.
 */
export const LOCAL_BUCKET = 'pictor-local';
export const LOCAL_S3_PORT = 4569;
export const LOCAL_GPU_HOST_PORT = 8000;
export const LOCAL_GATEWAY_PORT = 8080;
export const LOCAL_S3_ENDPOINT = `http://127.0.0.1:${LOCAL_S3_PORT}`;
export const LOCAL_INFERENCE_URL = `http://127.0.0.1:${LOCAL_GPU_HOST_PORT}`;
export const LOCAL_GATEWAY_URL = `http://127.0.0.1:${LOCAL_GATEWAY_PORT}`;
/**
 * The local host takes `POST /v2/repository/models/<m>/load` (Triton's explicit model control): a
 * promotion or rollback (`training/loop/`) reaches the running stack without a restart. The host binds
 * to loopback only, so nothing outside this machine can load or unload models.
 */
export const LOCAL_MODEL_CONTROL_MODE = 'explicit';
