/**
 * The Twitch login-name rule, once: 3-25 letters, digits or underscores. Argument checks
 * (record/username.ts), the users file (poll/users_file.ts) and the session file names
 * (state/session_folder.ts) all read it from here.
 */

/** The rule as a pattern fragment without anchors, for building file-name patterns. */
export const USERNAME_CHARS = "[A-Za-z0-9_]{3,25}";

/** Twitch login names: 3-25 letters, digits or underscores. */
export const USERNAME_PATTERN = new RegExp(`^${USERNAME_CHARS}$`);

/** Whether `name` can be a Twitch channel. */
export function isValidUsername(name: string): boolean {
  return USERNAME_PATTERN.test(name);
}
