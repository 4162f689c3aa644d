// Package collect defines what the PatchMon agent collects about a host and the
// small interfaces its collectors implement: one per concern (packages,
// repositories, system, hardware, network), so that an embedder can replace any
// of them, and a package manager is one pluggable value implementing the
// package and repository interfaces.
//
// The implementations live in sub-packages: apt, dnf, zypper, apk, pacman and
// pkgng for package managers, system, hardware and network for host facts. They
// all reach the host through a [Host], which runs commands through a [Runner]
// and reads files below a root directory, so tests feed them captured command
// output and a fake file tree instead of the machine they run on.
//
// The package also holds the version comparisons the collectors need (Debian,
// RPM, Alpine and pacman orderings) and the parsers shared by more than one
// collector.
//
// # Stability
//
// The interfaces and result types are part of the agentkit SDK and follow
// semantic versioning with the module; fields may be added to the result
// structs, so build them with field names.
package collect
