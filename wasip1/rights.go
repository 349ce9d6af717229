package wasip1

// Rights, as the specification numbers them.
const (
	RightFdDatasync uint64 = 1 << iota
	RightFdRead
	RightFdSeek
	RightFdFdstatSetFlags
	RightFdSync
	RightFdTell
	RightFdWrite
	RightFdAdvise
	RightFdAllocate
	RightPathCreateDirectory
	RightPathCreateFile
	RightPathLinkSource
	RightPathLinkTarget
	RightPathOpen
	RightFdReaddir
	RightPathReadlink
	RightPathRenameSource
	RightPathRenameTarget
	RightPathFilestatGet
	RightPathFilestatSetSize
	RightPathFilestatSetTimes
	RightFdFilestatGet
	RightFdFilestatSetSize
	RightFdFilestatSetTimes
	RightPathSymlink
	RightPathRemoveDirectory
	RightPathUnlinkFile
	RightPollFdReadwrite
	RightSockShutdown
	RightSockAccept
)

// The most each kind of descriptor can hold. A descriptor's rights are
// what was asked for, within what its parent may hand on, within these:
// a directory has no right to seek, a socket none to open paths.
const (
	rightsFile = RightFdDatasync | RightFdRead | RightFdSeek | RightFdFdstatSetFlags |
		RightFdSync | RightFdTell | RightFdWrite | RightFdAdvise | RightFdAllocate |
		RightFdFilestatGet | RightFdFilestatSetSize | RightFdFilestatSetTimes |
		RightPollFdReadwrite
	rightsDir = RightFdFdstatSetFlags | RightFdSync | RightFdDatasync | RightFdAdvise |
		RightPathCreateDirectory | RightPathCreateFile | RightPathLinkSource |
		RightPathLinkTarget | RightPathOpen | RightFdReaddir | RightPathReadlink |
		RightPathRenameSource | RightPathRenameTarget | RightPathFilestatGet |
		RightPathFilestatSetSize | RightPathFilestatSetTimes | RightFdFilestatGet |
		RightFdFilestatSetTimes | RightPathSymlink | RightPathRemoveDirectory |
		RightPathUnlinkFile
	rightsSocket = RightFdRead | RightFdWrite | RightFdFdstatSetFlags | RightFdFilestatGet |
		RightPollFdReadwrite | RightSockShutdown
	rightsListener = RightFdFdstatSetFlags | RightFdFilestatGet | RightPollFdReadwrite |
		RightSockAccept
	rightsStdio = RightFdRead | RightFdWrite | RightFdFdstatSetFlags | RightFdFilestatGet |
		RightPollFdReadwrite | RightFdDatasync | RightFdSync | RightFdAdvise
	// rightsWrite are every right that changes a file or a directory: a
	// read-only grant lacks them all, on the preopen and on everything
	// opened through it.
	rightsWrite = RightFdDatasync | RightFdWrite | RightFdAllocate |
		RightPathCreateDirectory | RightPathCreateFile | RightPathLinkSource |
		RightPathLinkTarget | RightPathRenameSource | RightPathRenameTarget |
		RightPathFilestatSetSize | RightPathFilestatSetTimes | RightFdFilestatSetSize |
		RightFdFilestatSetTimes | RightPathSymlink | RightPathRemoveDirectory |
		RightPathUnlinkFile
)

// rightsFor is the most a descriptor of this file type can hold.
func rightsFor(ft uint8) uint64 {
	switch ft {
	case filetypeDirectory:
		return rightsDir
	case filetypeSocketStream, filetypeSocketDgram:
		return rightsSocket
	case filetypeRegularFile:
		return rightsFile
	}
	return rightsStdio | RightFdSeek | RightFdTell // character devices, pipes
}
