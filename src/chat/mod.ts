/**
 * A recording's chat, title and game: the anonymous chat client (IRC over WebSocket), the journal a
 * capture session appends to (`ChatRecorder.start()` is the one call it makes), and what finalize
 * delivers beside the video: the chat JSON, chapters and `info.json`.
 *
 * Must not import: record/, poll/, encode/, web/, cli/, notify/, retention/: the capture session
 * calls into chat/, never the other way round (the poller's title/game reach it through
 * `broadcast_meta.ts`).
 *
 * @module
 */
