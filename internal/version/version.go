// Package version names the release a binary was built from, for cmd/local's -version flag and
// its /healthz answer.
package version

import "runtime/debug"

// Version is set when linking a release:
//
//	go build -ldflags "-X github.com/flexportal-compat/customers-api/internal/version.Version=v0.2.0" ./cmd/local
//
// `make` sets it from `git describe`. Empty, String falls back to what the Go toolchain recorded.
var Version = ""

// String is the version of this binary: Version when the linker set it; else the module version
// the go command recorded (`go install ...@v0.2.0` records v0.2.0); else "devel", with the VCS
// revision when the build recorded one (a plain `go build` in a git checkout does).
func String() string {
	if Version != "" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	return fromBuildInfo(info)
}

// fromBuildInfo is String's fallback for the build described by info.
func fromBuildInfo(info *debug.BuildInfo) string {
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified == "true" {
		rev += "-dirty"
	}
	return "devel+" + rev
}
