package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// bashCompletion is urfave/cli's completion script for bash (and zsh with
// bashcompinit): the shell asks the program itself for the candidates.
const bashCompletion = `# mwprovision completion for bash; zsh: autoload -U +X bashcompinit && bashcompinit first
_mwprovision_complete() {
  local cur opts
  COMPREPLY=()
  cur="${COMP_WORDS[COMP_CWORD]}"
  if [[ "$cur" == "-"* ]]; then
    opts=$("${COMP_WORDS[@]:0:$COMP_CWORD}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    opts=$("${COMP_WORDS[@]:0:$COMP_CWORD}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "${opts}" -- "${cur}"))
  [[ ${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=($(compgen -f -- "${cur}"))
  return 0
}
complete -o filenames -F _mwprovision_complete mwprovision
`

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:  "completion",
		Usage: "print the shell completion script (bash; zsh with bashcompinit)",
		Description: `Enable it for this shell:
    source <(mwprovision completion)
  or for good:
    mwprovision completion > /etc/bash_completion.d/mwprovision`,
		Action: func(c *cli.Context) error {
			_, err := fmt.Fprint(c.App.Writer, bashCompletion)
			return err
		},
	}
}

// manCommand prints the man page, made from the commands' own help, for
// the packages (mwprovision man > mwprovision.1).
func manCommand() *cli.Command {
	return &cli.Command{
		Name:   "man",
		Usage:  "print the manual page (roff), made from this help",
		Hidden: true,
		Action: func(c *cli.Context) error {
			page, err := c.App.ToManWithSection(1)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(c.App.Writer, page)
			return err
		},
	}
}
