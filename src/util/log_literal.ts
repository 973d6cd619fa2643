/**
 * Text put into a logtape message template as is. logtape reads `{name}` as a placeholder, so
 * a message built from text that may hold braces (a config value like `{user}`, a reason from
 * ffmpeg) would print `undefined` in their place; `{{`/`}}` are its literal braces.
 */
export function logLiteral(text: string): string {
  return text.replaceAll("{", "{{").replaceAll("}", "}}");
}
