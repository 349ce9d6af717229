package wasip1

// SetWalkOnly makes path resolution use the user-space walk instead of
// openat2, as on a kernel without it.
func SetWalkOnly(walk bool) { noOpenat2.Store(walk) }
