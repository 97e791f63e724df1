package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/paysim/paysim"
)

const caUsage = `usage: paysim ca path|cert [--ca-dir DIR]
  path   print the file of proxy mode's CA certificate (what clients must trust)
  cert   print the CA certificate, PEM
The CA is created on first use, in --ca-dir (PAYSIM_CA_DIR), else %s.
Its key stays in that folder (mode 0600) and is never printed.
`

// caCmd implements `paysim ca path` and `paysim ca cert`.
func caCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("paysim ca", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("ca-dir", getenv("PAYSIM_CA_DIR"), "")
	// The subcommand may come before or after the flag.
	err := fs.Parse(args)
	var sub string
	if err == nil && fs.NArg() > 0 {
		sub = fs.Arg(0)
		err = fs.Parse(fs.Args()[1:])
	}
	if err != nil || fs.NArg() > 0 || (sub != "path" && sub != "cert") {
		if err != nil && err != flag.ErrHelp {
			fmt.Fprintln(stderr, "paysim ca:", err)
		}
		fmt.Fprintf(stderr, caUsage, defaultCADirText())
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	ca, err := paysim.OpenCA(*dir)
	if err != nil {
		fmt.Fprintln(stderr, "paysim ca:", err, "(give --ca-dir DIR or PAYSIM_CA_DIR)")
		return 1
	}
	if ca.Created != "" {
		fmt.Fprintf(stderr, "paysim ca: created a new local test CA (%s): %s, SHA-256 %s; clients must trust it (README: Proxy mode)\n",
			ca.Created, ca.CertPath(), ca.Fingerprint())
	}
	switch sub {
	case "path":
		fmt.Fprintln(stdout, ca.CertPath())
	case "cert":
		_, _ = stdout.Write(ca.CertPEM())
	}
	return 0
}

func defaultCADirText() string {
	d, err := paysim.DefaultCADir()
	if err != nil {
		return "a paysim folder under the user's configuration folder"
	}
	return d
}
