/**
 * The status page and `/metrics`: its own HTTP listener with hard limits, the snapshot cache that
 * reads the files `status` reads, the page's HTML and the Prometheus text.
 *
 * Must not import: record/, encode/, notify/, cli/; from poll/ only the users file. It reads, it
 * never changes a file.
 *
 * @module
 */
