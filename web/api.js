// @ts-check
// Calls to paneward's API, with the token when the server wants one. The token is asked for once and kept for
// this tab (sessionStorage): a refused one asks again, saying so.
import { byId } from './dom.js';

const TOKEN_KEY = 'paneward.token';

/** @type {Promise<void> | null} */
let asking = null;

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** @param {HeadersInit | undefined} extra */
function headersWithToken(extra) {
  const headers = new Headers(extra);
  const t = token();
  if (t) headers.set('authorization', `Bearer ${t}`);
  return headers;
}

/**
 * fetch() against the API; a 401 asks for the token (once, however many calls are waiting) and tries again.
 * @param {string} path relative to the page, e.g. 'v1/agents'
 * @param {RequestInit} [init]
 * @returns {Promise<Response>}
 */
export async function apiFetch(path, init = {}) {
  for (;;) {
    const sent = token();
    const res = await fetch(path, { ...init, headers: headersWithToken(init.headers) });
    if (res.status !== 401) return res;
    await res.body?.cancel();
    // Another call may have got a new token while this one was in flight.
    if (token() === sent) await askForToken(sent ? 'That token was refused.' : '');
  }
}

/**
 * GET a JSON body; throws an Error with the server's message on any other status than 200.
 * @param {string} path
 * @returns {Promise<any>}
 */
export async function getJson(path) {
  const res = await apiFetch(path);
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, body?.message ?? `${res.status} ${res.statusText}`);
  return body;
}

export class ApiError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** @param {string} problem shown above the field ('' on the first ask) */
function askForToken(problem) {
  asking ??= promptOnce(problem).finally(() => {
    asking = null;
  });
  return asking;
}

/** @param {string} problem */
function promptOnce(problem) {
  const dialog = byId('token-dialog', HTMLDialogElement);
  const form = byId('token-form', HTMLFormElement);
  const input = byId('token-input', HTMLInputElement);
  const error = byId('token-error', HTMLElement);
  error.textContent = problem;
  error.hidden = !problem;
  input.value = '';
  return new Promise((resolve) => {
    // Without the token the board shows nothing, so Escape does not dismiss the question.
    dialog.oncancel = (e) => e.preventDefault();
    form.addEventListener(
      'submit',
      (e) => {
        e.preventDefault();
        sessionStorage.setItem(TOKEN_KEY, input.value.trim());
        dialog.close();
        resolve(undefined);
      },
      { once: true },
    );
    dialog.showModal();
    input.focus();
  });
}

/**
 * What this server offers beyond the basic API, read from its public OpenAPI document, so the page asks only
 * for what exists (a 404 or 400 would show as an error in the browser console). Without the document (docs
 * turned off), the page assumes both and falls back on the answers.
 * @typedef {{ events: boolean, redact: boolean }} Capabilities
 * @type {Promise<Capabilities> | null}
 */
let capabilitiesOnce = null;

/** @returns {Promise<Capabilities>} */
export function capabilities() {
  capabilitiesOnce ??= fetch('openapi.json')
    .then((res) => (res.ok ? res.json() : Promise.reject(new Error(String(res.status)))))
    .then((doc) => {
      const screen = doc.paths?.['/v1/agents/{id}/screen']?.get;
      /** @type {{ name?: string }[]} */
      const params = screen?.parameters ?? [];
      return { events: Boolean(doc.paths?.['/v1/events']), redact: params.some((p) => p.name === 'redact') };
    })
    .catch(() => ({ events: true, redact: true }));
  return capabilitiesOnce;
}
