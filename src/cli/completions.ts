/**
 * Shell completion scripts for bash, zsh and fish, generated from commander's command tree:
 * a command or option added to `program.ts` completes without touching this file.
 */
import type { Command } from "@commander-js/extra-typings";

/** The shells `twitchtool completions` writes a script for. */
export const COMPLETION_SHELLS = ["bash", "zsh", "fish"] as const;
export type CompletionShell = typeof COMPLETION_SHELLS[number];

/** One command of the tree with what may follow it on the command line. */
interface Node {
  /** Space-separated subcommand path, "" for the program itself. */
  readonly path: string;
  readonly description: string;
  readonly subcommands: readonly { name: string; description: string }[];
  readonly options: readonly { flags: string[]; description: string; takesValue: boolean }[];
}

/** The completion script for `shell` of the tree under `program`. */
export function completionScript(shell: CompletionShell, program: Command): string {
  const nodes = collect(program);
  const name = program.name();
  switch (shell) {
    case "bash":
      return bashScript(name, nodes);
    case "zsh":
      return zshScript(name, nodes);
    case "fish":
      return fishScript(name, nodes);
  }
}

function collect(program: Command): Node[] {
  const nodes: Node[] = [];
  const globals = program.options;
  const visit = (command: Command, path: string) => {
    const options = [
      ...command.options,
      ...(path ? globals.filter((option) => option.long !== "--version") : []),
    ];
    const help = { flags: ["--help", "-h"], description: "display help", takesValue: false };
    nodes.push({
      path,
      description: command.description(),
      subcommands: command.commands.map((sub) => ({
        name: sub.name(),
        description: sub.description(),
      })),
      options: [
        ...options.map((option) => ({
          flags: [option.long, option.short].filter((flag): flag is string => Boolean(flag)),
          description: option.description.replace(/ \[.*\]$/, ""),
          takesValue: option.required || option.optional,
        })),
        help,
      ],
    });
    for (const sub of command.commands) {
      visit(sub as Command, path ? `${path} ${sub.name()}` : sub.name());
    }
  };
  visit(program, "");
  return nodes;
}

/** `case` patterns `"<path>:<word>"` that step into a subcommand. */
function stepPatterns(nodes: Node[]): string[] {
  return nodes.flatMap((node) => node.subcommands.map((sub) => `${node.path}:${sub.name}`));
}

function valueOptions(nodes: Node[]): string[] {
  const flags = nodes.flatMap((node) =>
    node.options.filter((option) => option.takesValue).flatMap((option) => option.flags)
  );
  return [...new Set(flags)].sort();
}

function words(node: Node): string {
  return [...node.subcommands.map((sub) => sub.name), ...node.options.flatMap((o) => o.flags)]
    .join(" ");
}

function sh(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function bashScript(name: string, nodes: Node[]): string {
  const fn = `_${name.replaceAll("-", "_")}`;
  return `# ${name} completion for bash. Load it with:
#   source <(${name} completions bash)
# or save it as ~/.local/share/bash-completion/completions/${name}
${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} path="" i
  case "$prev" in
    ${valueOptions(nodes).join("|")}) return ;;
  esac
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "$path:\${COMP_WORDS[i]}" in
      ${stepPatterns(nodes).map(sh).join("|")}) path="\${path:+$path }\${COMP_WORDS[i]}" ;;
    esac
  done
  local words=""
  case "$path" in
${nodes.map((node) => `    ${sh(node.path)}) words=${sh(words(node))} ;;`).join("\n")}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F ${fn} ${name}
`;
}

function zshScript(name: string, nodes: Node[]): string {
  const fn = `_${name.replaceAll("-", "_")}`;
  return `#compdef ${name}
# ${name} completion for zsh. Load it with:
#   source <(${name} completions zsh)
# or save it as _${name} in a folder of your $fpath
${fn}() {
  local path_="" i
  local -a candidates
  case "\${words[CURRENT-1]}" in
    ${valueOptions(nodes).join("|")}) _files; return ;;
  esac
  for ((i = 2; i < CURRENT; i++)); do
    case "$path_:\${words[i]}" in
      ${stepPatterns(nodes).map(sh).join("|")}) path_="\${path_:+$path_ }\${words[i]}" ;;
    esac
  done
  case "$path_" in
${nodes.map((node) => `    ${sh(node.path)}) candidates=(${words(node)}) ;;`).join("\n")}
  esac
  compadd -a candidates
}
compdef ${fn} ${name}
`;
}

function fishScript(name: string, nodes: Node[]): string {
  const fn = `__${name.replaceAll("-", "_")}_path`;
  const lines = [
    `# ${name} completion for fish. Load it with:`,
    `#   ${name} completions fish | source`,
    `# or save it as ~/.config/fish/completions/${name}.fish`,
    `function ${fn}`,
    `    set -l path ""`,
    `    for word in (commandline -opc)[2..-1]`,
    `        switch "$path:$word"`,
    `            case ${stepPatterns(nodes).map(sh).join(" ")}`,
    `                set path (string trim -- "$path $word")`,
    `        end`,
    `    end`,
    `    test "$path" = "$argv[1]"`,
    `end`,
    `complete -c ${name} -f`,
  ];
  for (const node of nodes) {
    const when = sh(`${fn} ${sh(node.path)}`);
    for (const sub of node.subcommands) {
      lines.push(`complete -c ${name} -n ${when} -a ${sh(sub.name)} -d ${sh(sub.description)}`);
    }
    for (const option of node.options) {
      const flags = option.flags.map((flag) =>
        flag.startsWith("--") ? `-l ${flag.slice(2)}` : `-s ${flag.slice(1)}`
      );
      const value = option.takesValue ? " -r -F" : "";
      lines.push(
        `complete -c ${name} -n ${when} ${flags.join(" ")}${value} -d ${sh(option.description)}`,
      );
    }
  }
  return lines.join("\n") + "\n";
}
