/**
 * How many chat messages a recording has, for `status` (the journal of a recording in
 * progress) and `history` (the delivered `.chat.json`). Read from the files, like the rest of
 * those views; null when there is no chat (capture off). The chat files' format is this
 * folder's, so `status`, `history` and the status page pass these readers to `collectStatus()`
 * and `listRecordings()` (src/state/ depends on no feature).
 */
import { parseIrcMessage } from "./irc_message.ts";
import { chatJournalPath, journalEntries } from "./chat_journal.ts";
import { readJsonFile } from "../state/atomic_write.ts";

/**
 * Messages journaled so far for session `base` (chat lines and USERNOTICEs); null when its
 * journal says chat is not captured.
 */
export async function journalMessageCount(tempDir: string, base: string): Promise<number | null> {
  let chat = false;
  let count = 0;
  try {
    for await (const entry of journalEntries(chatJournalPath(tempDir, base))) {
      if (entry.k === "chat") chat = true;
      if (entry.k !== "irc") continue;
      const command = parseIrcMessage(entry.line)?.command;
      if (command === "PRIVMSG" || command === "USERNOTICE") count++;
    }
  } catch {
    return null;
  }
  return chat ? count : null;
}

/** Comments in a delivered `.chat.json`, or null when it is missing or unreadable. */
export async function chatFileCount(path: string): Promise<number | null> {
  try {
    const archive = await readJsonFile(path) as { comments?: unknown } | undefined;
    return Array.isArray(archive?.comments) ? archive.comments.length : null;
  } catch {
    return null;
  }
}
