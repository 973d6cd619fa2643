/**
 * One recording of one channel, wherever it runs (`record` or hosted by the poller): the capture
 * session (`CaptureSession` in `capture_session.ts`, and `_streamlink_start.ts`, private to it), the
 * capture loop, finalize (join,
 * verify, deliver, enqueue the encode job), `recover` after a crash, `stop`, and back-fill from the
 * VOD.
 *
 * Must not import: poll/, encode/, web/, cli/: the CLI and the poller call a session, a session
 * never calls them.
 *
 * @module
 */
