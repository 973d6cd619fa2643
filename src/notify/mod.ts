/**
 * Notifications: the events and how each reads, the target URLs, delivery over HTTP or through
 * `apprise`, and the one notifier a process sets up at start-up.
 *
 * Must not import: poll/, encode/, chat/, retention/, web/, cli/. `session_events.ts` still takes
 * `record/capture_session.ts`'s outcome type: the circle listed in tests/layout_test.ts until the
 * capture session's refactor ends it.
 *
 * @module
 */
