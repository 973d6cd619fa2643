/**
 * The status page's open connections, oldest first, and which of them are still sending their
 * request head. Why it exists: a cap that refuses new connections lets anyone who holds enough
 * half-sent requests lock everyone else out, and a process out of file descriptors stops
 * accepting altogether. Making room by closing the oldest connection that has not finished its
 * head instead keeps a real request (whose head arrives in one packet) answerable however many
 * a client holds open.
 */

interface Entry {
  /** Still reading the request head (idle as far as the server is concerned). */
  reading: boolean;
  /** Settles once the connection's exchange ended and its descriptor is released. */
  done: Promise<void>;
}

/** What a connection's exchange calls when its head has arrived. */
export type HeadArrived = () => void;

/** Open connections in the order they were accepted. */
export class OpenConnections {
  readonly #entries = new Map<Deno.Conn, Entry>();

  /** How many are open. */
  get size(): number {
    return this.#entries.size;
  }

  /** Tracks `conn` while `serve` runs its exchange (which calls the callback once the head is in). */
  add(conn: Deno.Conn, serve: (headArrived: HeadArrived) => Promise<void>): void {
    const entry: Entry = { reading: true, done: Promise.resolve() };
    this.#entries.set(conn, entry);
    entry.done = serve(() => entry.reading = false).finally(() => this.#entries.delete(conn));
  }

  /**
   * Closes the oldest connection still reading its head (else the oldest of all) and waits
   * until its descriptor is free; `false` when none is open.
   */
  async evictOldest(): Promise<boolean> {
    const entries = [...this.#entries];
    const victim = entries.find(([, entry]) => entry.reading) ?? entries[0];
    if (!victim) return false;
    closeQuietly(victim[0]);
    await victim[1].done;
    return true;
  }

  /** Closes every connection. */
  closeAll(): void {
    for (const conn of this.#entries.keys()) closeQuietly(conn);
  }
}

/** Closes `conn`, which may be closed already. */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}
