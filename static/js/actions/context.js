// What every group of actions shares: the store, the request queue and the refreshing reads.

/**
 * @typedef {object} Context
 * @property {import("../store.js").Store} store
 * @property {() => any} st  the store's live state
 * @property {() => string | undefined} sessionId  the page's session id
 * @property {<T>(job: () => T | Promise<T>) => Promise<T | undefined>} run  queue.js
 * @property {() => number} pending  queued jobs (queue.js)
 * @property {ReturnType<typeof import("./refresh.js").createRefresh>} reads  refresh.js
 * @property {Map<string, any>} tables  session id → the table its data came from, or null (own data)
 */

export {};
