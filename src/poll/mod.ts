/**
 * The poller: the poll loop, live detection (Twitch's GraphQL or Helix API, or streamlink probes),
 * the users file, the capture sessions it hosts in its own process (`session_host.ts`) and
 * recorders it launches with `download_cmd`.
 *
 * Must not import: cli/, encode/. web/ reads only the users file from here.
 *
 * @module
 */
