// Command aumo exports Confluence and Jira from Atlassian Cloud.
package main

import (
	"os"

	"github.com/aumo-cli/aumo/internal/cli"
)

func main() { os.Exit(cli.Main()) }
