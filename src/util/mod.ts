/**
 * Small pure helpers that know nothing of twitchtool's files, processes or config: the injectable
 * clock, durations and sizes, free space, the MP4 box reader, positioned reads, username rules,
 * folder change events.
 *
 * Must not import: anything else in src/: util/ is the bottom room.
 *
 * @module
 */
