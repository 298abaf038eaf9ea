/** Where a hub listens unless told otherwise, and so where agents and the CLI look for one by default. */
export const DEFAULT_HUB_HOST = '127.0.0.1';
export const DEFAULT_HUB_PORT = 7420;
export const DEFAULT_HUB_URL = `http://${DEFAULT_HUB_HOST}:${DEFAULT_HUB_PORT}`;
