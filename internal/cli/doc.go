// Package cli wires barge's cobra commands to the libraries under pkg/.
// Commands are constructors that take their dependencies; flags bind onto the
// libraries' option structs. The package holds no global state.
package cli
